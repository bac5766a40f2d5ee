/**
 * `fieldlab demo` (what `npm start` runs): starts the bundled demo services, then Fieldlab on
 * config/demo.yaml pointed at them, drives simulated users through it and prints what it saw: the
 * split and its stickiness, then the shadow-diff report of the dark build. A light trickle of
 * traffic keeps flowing so the admin pages stay alive while you explore.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { DiffReport } from '../compare/report.js';
import type { ExperimentResult } from '../experiments/analysis.js';
import { startDemoDependency, startDemoService, type DemoService } from '../demo/services.js';
import type { ServiceCall } from '../demo/otel-service.js';
import { loadConfigFile } from '../config/load.js';
import { parseDemoArgs } from './demo-args.js';

export { DEMO } from './demo-args.js';
import { plural } from './plural.js';
import { isTraceField } from '../traces/tree-diff.js';
import { startWithSignals, type CliIo } from './start.js';

const DEMO_CONFIG = fileURLToPath(new URL('../../../config/demo.yaml', import.meta.url));

/** When the search canary starts failing, ms after the demo starts (FIELDLAB_DEMO_CANARY_FAILS_AFTER, seconds). */
const CANARY_FAILS_AFTER_MS = (Number(process.env.FIELDLAB_DEMO_CANARY_FAILS_AFTER) || 20) * 1000;

/** The demo builds' downstream services: every build calls inventory, the dark build also fraud-check. */
interface Dependencies {
  readonly inventory: DemoService;
  readonly fraud: DemoService;
  readonly cache: DemoService;
}

/** What a checkout build calls before answering; `dark` adds the new dependency. */
function checkoutCalls(deps: Dependencies, dark: boolean) {
  return async (c: ServiceCall, id: number) => {
    await c.call(deps.inventory.url, 'GET', `/stock/${id}`);
    // A cache refresh at random, in every build: the span-tree diff must call it noise.
    if (Math.random() < 0.3) await c.call(deps.cache.url, 'GET', '/refresh');
    if (dark) await c.call(deps.fraud.url, 'POST', '/fraud-check');
  };
}

/** Starts the demo builds: control, variant, a second control (noise reference), the dark build and a canary that will fail, then their dependencies. */
async function startServices(): Promise<DemoService[]> {
  const started = Date.now();
  const [inventory, fraud, cache] = await Promise.all([
    startDemoDependency('inventory', 2),
    startDemoDependency('fraud-check', 5),
    startDemoDependency('cache', 1),
  ]);
  const deps = { inventory, fraud, cache };
  const builds = await Promise.all([
    startDemoService('control', { version: 'v1', downstream: checkoutCalls(deps, false) }),
    startDemoService('variant', { version: 'v2', extra: { recommendations: ['honey'] }, downstream: checkoutCalls(deps, false) }),
    startDemoService('control-copy', { version: 'v1', downstream: checkoutCalls(deps, false) }),
    // The dark build forgets quantities in the total (a regression), is ~20 ms slower and calls fraud-check.
    startDemoService('dark', {
      version: 'v3-dark',
      delayMs: 20,
      cart: (c) => ({ ...c, total: c.items.reduce((s, i) => s + i.price, 0) }),
      downstream: checkoutCalls(deps, true),
    }),
    startDemoService('search-canary', { version: 'search-v2', failing: () => Date.now() - started > CANARY_FAILS_AFTER_MS }),
  ]);
  return [...builds, inventory, fraud, cache];
}

/**
 * Each run starts from an empty store, so the banner's promises (the canary will fail and be rolled
 * back, the report shows this run's pairs) hold on the second `npm start` too. `--resume` keeps
 * the previous run's store and says so, since its rollbacks and pairs carry over.
 */
function prepareStore(env: Record<string, string | undefined>, resume: boolean): string {
  const loaded = loadConfigFile(DEMO_CONFIG, env);
  const url = loaded.ok ? loaded.config.store.url : 'sqlite:./data/demo.db';
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  if (resume || path === undefined || path === ':memory:') {
    return resume ? `resumed from ${url}: earlier decisions (a rollback, a step) and pairs carry over` : url;
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(resolve(`${path}${suffix}`), { force: true });
  return `fresh store ${url} (the previous run's data was removed; --resume keeps it)`;
}

/** `fieldlab demo [--users N] [--resume]` */
export async function runDemo(args: string[], io: CliIo): Promise<number | undefined> {
  const parsed = parseDemoArgs(args, io);
  if (typeof parsed === 'number') return parsed;
  const { users, resume } = parsed;
  const storeNote = prepareStore(io.env, resume);
  const services = await startServices();
  const [control, variant, copy, dark, canary] = services as [DemoService, DemoService, DemoService, DemoService, DemoService];
  const env = {
    ...io.env,
    DEMO_CONTROL_URL: control.url,
    DEMO_VARIANT_URL: variant.url,
    DEMO_CONTROL_COPY_URL: copy.url,
    DEMO_DARK_URL: dark.url,
    DEMO_CANARY_URL: canary.url,
  };
  const app = await startWithSignals(DEMO_CONFIG, { ...io, env });
  if (!app) {
    await Promise.all(services.map((s) => s.close()));
    return 1;
  }
  // The hints name the addresses this run really listens on (FIELDLAB_DEMO_LISTEN/_ADMIN may move them).
  const { listen, admin: adminConfig, store } = app.config.current().config;
  const proxy = `http://${reachable(listen.host)}:${app.proxyPort()}`;
  const admin = `http://${reachable(adminConfig.listen.host)}:${app.adminPort()}`;
  const storeUrl = store.url;
  // Every demo service sends its spans to Fieldlab's receiver (traces.listen), as yours would.
  const traces = app.tracesPort();
  if (traces !== undefined) for (const s of services) s.connect(`http://127.0.0.1:${traces}/v1/traces`);
  const seen = await driveUsers(proxy, users);
  // The report below should include the span trees of this run's pairs: their spans are sent and
  // joined now instead of after the exporters' and the join's own delays.
  await app.flushDiffs();
  await new Promise((r) => setTimeout(r, 300)); // the last shadow copies finish
  await Promise.all(services.map((s) => s.flush()));
  await app.traces()?.flush(true);
  await Promise.all([app.flushDiffs(), app.flushExperiments()]);
  const experiment = await readExperiment(admin);
  const since = Date.now() - 3_600_000;
  const report = await app.diffs().report({ filter: { since } });
  io.out(
    [
      '',
      'Fieldlab demo is running (Ctrl-C to stop)',
      `  dashboard ${admin}/   (open in a browser: live charts per arm, decisions, guardrail evidence, actions)`,
      `  proxy    ${proxy}   route "checkout": /api/checkout/:id, control 90% / variant 10%`,
      `  admin    ${admin}/routes   ${admin}/config   ${admin}/diffs   ${admin}/mirror`,
      `  control  ${control.url} (v1)   variant ${variant.url} (v2)`,
      `  dark     ${dark.url} (shadow: gets a copy of control traffic)   noise reference ${copy.url}`,
      `  canary   ${canary.url} (route "search", rollout 10% → 50% → 100% under guardrails; starts failing in ~${CANARY_FAILS_AFTER_MS / 1000} s)`,
      `  store    ${storeNote}`,
      '',
      `Self-check: ${plural(users, 'simulated user')}, each asked twice:`,
      `  control ${seen.control ?? 0}, variant ${seen.variant ?? 0}, errors ${seen.errors}; ${seen.sticky}/${plural(users, 'user')} kept their arm`,
      '',
      'Shadow diff of the dark build (last hour):',
      ...summarize(report),
      '',
      'Experiment on route "checkout" (from the same traffic):',
      ...experiment,
      '',
      'Try:',
      `  curl -s ${proxy}/api/checkout/42 -H 'x-user-id: alice'          # same user → same arm, every time`,
      `  curl -s ${proxy}/api/checkout/42 -H 'x-fieldlab-arm: variant'   # QA: force an arm`,
      `  curl -si ${proxy}/api/checkout/42 | grep -i set-cookie          # anonymous: a sticky fl_uid cookie`,
      `  curl -s ${proxy}/nope                                           # no route: coded 404`,
      `  open ${admin}/diffs                                  # the shadow-diff report (HTML)`,
      `  npx fieldlab diffs --store ${storeUrl}   # the same report in the terminal`,
      `  npx fieldlab status --admin ${admin}     # guardrails: weights, steps, decisions`,
      `  npx fieldlab results checkout --admin ${admin}   # experiment: goals, lift, intervals, SRM`,
      '',
      'Guardrail decisions appear below as they happen (the search canary will fail and be rolled back):',
    ].join('\n'),
  );
  trickle(proxy);
  watchDecisions(admin, io);
  return undefined;
}

/** Two lines of the checkout experiment's results, read from the admin API like any client would. */
async function readExperiment(admin: string): Promise<string[]> {
  try {
    const res = await request(`${admin}/experiments.json?route=checkout`);
    const x = ((await res.body.json()) as { experiments: ExperimentResult[] }).experiments[0]!;
    const srm = x.diagnostics.srm;
    return [
      `  ${x.arms.map((a) => `${a.arm} ${plural(a.units, 'unit')}`).join(', ')}; ${x.early ? `early (${x.earlyReasons[0]})` : 'ready'}`,
      ...x.goals.map((g) => {
        const l = g.lifts[0];
        const rel = l?.relative == null ? '–' : `${l.relative >= 0 ? '+' : ''}${(l.relative * 100).toFixed(1)}%`;
        return `  goal ${g.name} (${g.kind}): variant vs control ${rel}${l?.sequential.significant ? ' (significant)' : ''}`;
      }),
      `  sample ratio: p = ${srm.pValue.toPrecision(3)}${srm.alarm ? ' — MISMATCH' : ' (ok)'}; alarms: ${x.alarms.length ? x.alarms.join(', ') : 'none'}`,
    ];
  } catch (err) {
    return [`  (not available: ${(err as Error).message})`];
  }
}

/** A host to put in a URL: a wildcard listen address is reached on loopback; IPv6 goes in brackets. */
function reachable(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** A few lines per endpoint: the verdict of every differing field, the latency shift, then what changed downstream. */
function summarize(report: DiffReport): string[] {
  if (report.endpoints.length === 0) return ['  (no pairs compared yet)'];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const line = (f: DiffReport['endpoints'][number]['fields'][number]) =>
    `    ${f.verdict.padEnd(10)} ${f.field} (${f.kind}) differs in ${pct(f.rate)} of pairs; noise ${pct(f.noiseRate)}`;
  return report.endpoints.flatMap((e) => {
    const downstream = e.fields.filter((f) => isTraceField(f.field));
    return [
      `  ${e.endpoint} → ${e.shadow}: ${plural(e.pairs, 'pair')}, latency p50 ${e.latency.primary.p50 ?? '?'} ms → ${e.latency.candidate.p50 ?? '?'} ms`,
      ...e.fields.filter((f) => !isTraceField(f.field)).map(line),
      ...(downstream.length > 0 ? ['   downstream (span trees of the services behind the proxy):', ...downstream.map(line)] : []),
    ];
  });
}

/** Keeps traffic flowing (checkout and search, 10 req/s each) so reports, counters and guardrails stay live. */
function trickle(proxy: string): void {
  let n = 0;
  const send = (path: string, user: string) =>
    request(`${proxy}${path}`, { headers: { 'x-user-id': user } })
      .then((r) => r.body.dump())
      .catch(() => undefined);
  setInterval(() => {
    n++;
    void send(`/api/checkout/${n % 50}`, `trickle-${n % 200}`);
    void send(`/api/search/tea?page=${n % 5}`, `searcher-${n % 400}`);
  }, 100).unref();
}

/** Prints each new guardrail decision, read from the admin API like any client would. */
function watchDecisions(admin: string, io: CliIo): void {
  let since = Date.now();
  setInterval(() => {
    request(`${admin}/decisions.json?since=${since}`)
      .then(
        (r) =>
          r.body.json() as Promise<{
            decisions: { at: number; route: string; arm: string; action: string; fromPercent: number; toPercent: number; reason: string }[];
          }>,
      )
      .then(({ decisions }) => {
        for (const d of [...decisions].reverse()) {
          io.out(
            `  [${new Date(d.at).toISOString().slice(11, 19)}] ${d.route}/${d.arm}: ${d.action} ${d.fromPercent}% → ${d.toPercent}% — ${d.reason}`,
          );
          since = Math.max(since, d.at + 1);
        }
      })
      .catch(() => undefined);
  }, 1000).unref();
}

async function driveUsers(proxy: string, users: number): Promise<Record<string, number> & { errors: number; sticky: number }> {
  const counts: Record<string, number> & { errors: number; sticky: number } = { errors: 0, sticky: 0 };
  const armOf = async (user: string, cart: number) => {
    try {
      const res = await request(`${proxy}/api/checkout/${cart}`, { headers: { 'x-user-id': user } });
      const body = (await res.body.json()) as { arm?: string };
      return res.statusCode === 200 ? body.arm : undefined;
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < users; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, users - i) }, async (_, j) => {
        const user = `demo-user-${i + j}`;
        const first = await armOf(user, (i + j) % 40);
        const second = await armOf(user, (i + j) % 40);
        if (!first) counts.errors++;
        else counts[first] = (counts[first] ?? 0) + 1;
        if (first && first === second) counts.sticky++;
      }),
    );
  }
  return counts;
}
