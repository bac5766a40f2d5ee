// The monitoring kit in config/monitoring/ against the real thing: the alert rules pass
// `promtool check rules` and their own `promtool test rules` cases, and the README's command wraps
// them into a PrometheusRule that passes the operator's schema; every alert has a severity,
// a summary, a description and a runbook_url naming an anchor that exists in README.md; the Grafana
// dashboard is importable (a datasource variable every query uses) and each of its queries is valid
// PromQL (promtool parses them as recording rules). Then a real Fieldlab with a variant, a shadow and
// guardrails serves traffic, its /metrics passes `promtool check metrics`, and every metric name an
// alert or a panel names is in that scrape with at least one sample — renaming a metric fails here.
// promtool is Debian's `prometheus` package (.ci/run installs it); without it this file fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { startFieldlab, startUpstream, tempDir, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';
import { parseExposition } from '../unit/telemetry/exposition.js';

const PROMTOOL = '/usr/bin/promtool';
const DIR = 'config/monitoring';
const RULES = join(DIR, 'fieldlab-alerts.yaml');
const DASHBOARD = join(DIR, 'grafana-dashboard.json');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
  annotations?: { list: { expr?: string }[] };
}

const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const queries = (): { where: string; expr: string }[] => [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ where: `variable $${v.name}`, expr: v.definition! })),
  ...(dashboard.annotations?.list ?? []).filter((a) => a.expr).map((a) => ({ where: 'annotation', expr: a.expr! })),
];

/** Series Prometheus makes itself (scrape health), never in an exposition. */
const SYNTHETIC = new Set(['up']);

/**
 * Metric names a PromQL expression selects. Every Fieldlab metric starts with fieldlab_, nodejs_ or
 * process_, and no label, function or keyword does, so the prefixes find them; `up` is the scrape's.
 */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names: string[] = [...(withoutStrings.match(/\b(?:fieldlab|nodejs|process)_[a-zA-Z0-9_:]*/g) ?? [])];
  if (/\bup\s*\{/.test(withoutStrings)) names.push('up');
  return [...new Set(names)];
}

/** Runs promtool with `args` (and stdin); fails the test with its output when it exits non-zero. */
function promtool(args: string[], input?: string): string {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', input, cwd: process.cwd() });
  if (r.error) throw r.error;
  expect(r.status, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

/** README anchors: heading slugs (GitHub's rule) and explicit id="…" anchors. */
function readmeAnchors(): Set<string> {
  const text = readFileSync('README.md', 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/^#+ (.+)$/gm))
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  for (const m of text.matchAll(/\bid="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

describe('alert rules and dashboard files', () => {
  it('promtool is installed (Debian package prometheus; .ci/run installs it)', () => {
    expect(existsSync(PROMTOOL), `${PROMTOOL} missing: apt-get install prometheus`).toBe(true);
    expect(execFileSync(PROMTOOL, ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version \d+\.\d+/);
  });

  it('passes promtool check rules and its own promtool test rules cases', () => {
    expect(promtool(['check', 'rules', RULES])).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    expect(promtool(['test', 'rules', join(DIR, 'fieldlab-alerts.test.yaml')])).toContain('SUCCESS');
  });

  it('gives every alert a severity, a summary, a description and a runbook entry in the README', () => {
    const anchors = readmeAnchors();
    expect(rules.length).toBeGreaterThanOrEqual(12);
    for (const r of rules) {
      expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning|info)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      const anchor = /^README\.md#(.+)$/.exec(r.annotations?.runbook_url ?? '')?.[1];
      expect(anchor, `${r.alert}: runbook_url`).toBe(r.alert.toLowerCase());
      expect(anchors.has(anchor!), `${r.alert}: README has no anchor ${anchor}`).toBe(true);
      expect(metricNames(r.expr).length, `${r.alert} names no metric`).toBeGreaterThan(0);
    }
  });

  it("wraps into a valid PrometheusRule with the README's command", () => {
    const block = /```sh\n([^`]*kind: PrometheusRule[^`]*)```/.exec(readFileSync('README.md', 'utf8'))?.[1];
    expect(block, 'README: the PrometheusRule command').toBeTruthy();
    const command = block!.replace(/\s*\|\s*kubectl apply -f -\s*$/, '');
    const obj = parse(execFileSync('bash', ['-c', command], { encoding: 'utf8' })) as { spec: unknown };
    new PrometheusRule(obj as never).validate();
    expect(obj.spec).toEqual(parse(readFileSync(RULES, 'utf8')));
  });

  it('is an importable dashboard: a Prometheus datasource variable that every query uses', () => {
    expect(dashboard).toMatchObject({ title: 'Fieldlab', uid: 'fieldlab-overview' });
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(15);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource?.uid, p.title).toBe('${datasource}');
    }
    // What the issue asks to see, each in some panel's query.
    const all = queries()
      .map((q) => q.expr)
      .join('\n');
    for (const name of [
      'fieldlab_requests_total',
      'fieldlab_request_duration_seconds_bucket',
      'fieldlab_guardrails_weight_percent',
      'fieldlab_guardrails_phase',
      'fieldlab_guardrails_rollout_step',
      'fieldlab_guardrails_decisions_total',
      'fieldlab_guardrails_evidence_log_e',
      'fieldlab_guardrails_evidence_log_threshold',
      'fieldlab_shadow_pairs_differing_total',
      'fieldlab_shadow_skips_total',
      'fieldlab_upstream_endpoint_up',
      'nodejs_eventloop_lag_p99_seconds',
      'fieldlab_storage_pending',
      'fieldlab_storage_write_failures_total',
    ])
      expect(all, name).toContain(name);
  });

  it('has only valid PromQL in its queries (promtool parses them as recording rules)', () => {
    const tmp = tempDir();
    try {
      // Grafana's variables, as Grafana would substitute them.
      const concrete = (e: string) =>
        e
          .replace(/\$__rate_interval|\$__interval/g, '1m')
          .replace(/\$__range/g, '1h')
          .replace(/\$\{?[a-z]+\}?/g, '.*')
          .replace(/^label_values\(([^,]+), *[a-z_]+\)$/, '$1');
      const groups = [{ name: 'dashboard', rules: queries().map((q, i) => ({ record: `dashboard:query_${i}`, expr: concrete(q.expr) })) }];
      const file = join(tmp.dir, 'dashboard-queries.json');
      writeFileSync(file, JSON.stringify({ groups }));
      expect(promtool(['check', 'rules', file])).toContain('SUCCESS');
    } finally {
      tmp.remove();
    }
  });
});

describe('a live scrape', () => {
  const tmp = tempDir();
  let control: TestUpstream;
  let variant: TestUpstream;
  let dark: TestUpstream;
  let fl: TestFieldlab;
  let scrape = '';

  beforeAll(async () => {
    [control, variant, dark] = await Promise.all([startUpstream('control'), startUpstream('variant'), startUpstream('dark')]);
    fl = await startFieldlab(`
store: sqlite:${join(tmp.dir, 'm.db')}
upstreams: { control: ${control.url}, variant: ${variant.url}, dark: ${dark.url}, gone: http://127.0.0.1:1 }
routes:
  - name: broken
    match: { path: /broken/* }
    arms: { control: gone }
  - name: checkout
    arms: { control: control, variant: variant }
    sticky: [header:x-user-id]
    rollout: { steps: [50, 100], minBake: 1h }
    guardrails: { slo: { availability: 99% }, minSamples: 20 }
    shadow: [{ to: dark }]
`);
    for (let i = 0; i < 60; i++) await request(`${fl.url}/api/${i}`, { headers: { 'x-user-id': `u${i}` } }).then((r) => r.body.text());
    await request(`${fl.url}/broken/x`).then((r) => r.body.text());
    fl.app.guardrails().tick();
    // A decision, so the decisions counter has a series.
    const paused = await request(`${fl.adminUrl}/routes/checkout/pause`, { method: 'POST' });
    expect(paused.statusCode).toBe(200);
    await paused.body.text();
    await fl.app.flushDiffs();
    scrape = await (await request(`${fl.adminUrl}/metrics`)).body.text();
  });
  afterAll(async () => {
    await fl?.close();
    await Promise.all([control?.close(), variant?.close(), dark?.close()]);
    tmp.remove();
  });

  it('passes promtool check metrics', () => {
    promtool(['check', 'metrics'], scrape);
  });

  it('has a sample of every metric an alert or a dashboard query names', () => {
    const families = parseExposition(scrape);
    const sampled = new Set([...families.values()].flatMap((f) => f.samples.map((s) => s.name)));
    const named = [...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })), ...queries()].flatMap(({ where, expr }) =>
      metricNames(expr).map((name) => ({ where, name })),
    );
    expect(named.length).toBeGreaterThan(40);
    const missing = named.filter(({ name }) => !SYNTHETIC.has(name) && !sampled.has(name)).map(({ where, name }) => `${where}: ${name}`);
    expect(missing).toEqual([]);
  });
});
