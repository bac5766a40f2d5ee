// Metrics end to end: real traffic through the proxy (200s, a dead upstream's 502 and ejection,
// shadow copies to a live and a dead shadow, a skipped write), scraped from the real admin listener's
// GET /metrics and parsed strictly.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeObserver } from '../../src/telemetry/hooks.js';
import { parseTraceparent } from '../../src/telemetry/traceparent.js';
import { createTracing } from '../../src/telemetry/tracing.js';
import { startUpstream } from '../helpers/servers.js';
import { histogram, parseExposition, value } from '../unit/telemetry/exposition.js';
import { startWatchedFieldlab, type WatchedFieldlab } from '../helpers/shadows.js';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function deadOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

const routes = (primary: string, dark: string, dead: string) => `
upstreams: { primary: ${primary}, dark: ${dark}, dead: ${dead} }
routes:
  - name: api
    match: { path: /api/* }
    arms: { control: primary }
    shadow: [{ to: dark }]
  - name: lost
    match: { path: /lost/* }
    arms: { control: primary }
    shadow: [{ to: dead }]
  - name: broken
    match: { path: /broken/* }
    arms: { control: dead }
`;

/** A proxy (its own metrics and GET /metrics on the admin listener) with `extra` observers before the built-in ones. */
async function setup(adminYaml = '', extra: ExchangeObserver[] = []): Promise<{ fl: WatchedFieldlab }> {
  const primary = await startUpstream('primary');
  const dark = await startUpstream('dark');
  open.push(primary, dark);
  const fl = await startWatchedFieldlab(`${adminYaml}${routes(primary.url, dark.url, await deadOrigin())}`, extra);
  open.push(fl);
  return { fl };
}

async function scrape(fl: WatchedFieldlab, token?: string): Promise<{ status: number; contentType: unknown; text: string }> {
  const res = await request(`${fl.adminUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, contentType: res.headers['content-type'], text: await res.body.text() };
}

async function drive(fl: WatchedFieldlab): Promise<void> {
  for (let i = 0; i < 3; i++) expect((await request(`${fl.url}/api/${i}`)).statusCode).toBe(200);
  expect((await request(`${fl.url}/lost/x`)).statusCode).toBe(200);
  expect((await request(`${fl.url}/broken/x`)).statusCode).toBe(502);
  await fl.shadowsSettled();
  for (let i = 0; i < 300 && fl.pairs.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
  await fl.comparedAll();
}

describe('metrics', () => {
  it('serves request, upstream-error, shadow and state metrics with fixed names and config labels', async () => {
    const { fl } = await setup();
    await drive(fl);
    const res = await scrape(fl);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const p = parseExposition(res.text);

    expect(
      value(p, 'fieldlab_requests_total', {
        route: 'api',
        arm: 'control',
        upstream: 'primary',
        status_class: '2xx',
        code: '200',
        fl_code: '',
      }),
    ).toBe(3);
    expect(
      value(p, 'fieldlab_requests_total', {
        route: 'lost',
        arm: 'control',
        upstream: 'primary',
        status_class: '2xx',
        code: '200',
        fl_code: '',
      }),
    ).toBe(1);
    expect(
      value(p, 'fieldlab_requests_total', {
        route: 'broken',
        arm: 'control',
        upstream: 'dead',
        status_class: '5xx',
        code: '502',
        fl_code: 'FL_UPSTREAM_CONNECT',
      }),
    ).toBe(1);
    expect(p.get('fieldlab_requests_total')!.samples).toHaveLength(3);
    expect(p.get('fieldlab_upstream_errors_total')!.samples).toEqual([
      {
        name: 'fieldlab_upstream_errors_total',
        labels: { route: 'broken', arm: 'control', upstream: 'dead', code: '502', fl_code: 'FL_UPSTREAM_CONNECT' },
        value: 1,
      },
    ]);
    const api = histogram(p, 'fieldlab_request_duration_seconds', { route: 'api', arm: 'control' });
    expect(api.count).toBe(3);
    expect(api.sum).toBeGreaterThan(0);
    expect(api.buckets['+Inf']).toBe(3);

    expect(value(p, 'fieldlab_shadow_requests_total', { route: 'api', shadow: 'dark', kind: 'shadow', outcome: '2xx' })).toBe(3);
    expect(
      value(p, 'fieldlab_shadow_requests_total', { route: 'lost', shadow: 'dead', kind: 'shadow', outcome: 'FL_UPSTREAM_CONNECT' }),
    ).toBe(1);
    const shadowTimes = histogram(p, 'fieldlab_shadow_duration_seconds', { route: 'api', shadow: 'dark', kind: 'shadow' });
    expect(shadowTimes.count).toBe(3);
    // The histogram sums the same latencies the diff pairs carry.
    const darkLatency = fl.pairs.filter((x) => x.shadow === 'dark').reduce((a, x) => a + x.candidate.latencyMs / 1000, 0);
    expect(shadowTimes.sum).toBeCloseTo(darkLatency, 9);

    // The shadow path per route and shadow: copies, pairs and their differences, skips by reason.
    const dark = { route: 'api', shadow: 'dark', kind: 'shadow' };
    const lost = { route: 'lost', shadow: 'dead', kind: 'shadow' };
    expect(value(p, 'fieldlab_mirror_sent_total', dark)).toBe(3);
    expect(value(p, 'fieldlab_mirror_completed_total', dark)).toBe(3);
    expect(value(p, 'fieldlab_mirror_sent_total', lost)).toBe(1);
    expect(value(p, 'fieldlab_mirror_failed_total', lost)).toBe(1);
    expect(value(p, 'fieldlab_mirror_dropped_total', dark)).toBe(0);
    expect(value(p, 'fieldlab_mirror_in_flight', dark)).toBe(0);
    expect(p.get('fieldlab_mirror_sent_total')!.samples).toHaveLength(2);
    expect(value(p, 'fieldlab_shadow_pairs_total', { route: 'api', shadow: 'dark' })).toBe(3);
    // The upstreams name themselves in the body, so every dark pair differs there; the dead one errs.
    expect(value(p, 'fieldlab_shadow_pairs_differing_total', { route: 'api', shadow: 'dark' })).toBe(3);
    expect(value(p, 'fieldlab_shadow_differences_total', { route: 'api', shadow: 'dark', part: 'body' })).toBe(3);
    expect(value(p, 'fieldlab_shadow_differences_total', { route: 'api', shadow: 'dark', part: 'status' })).toBe(0);
    expect(value(p, 'fieldlab_shadow_differences_total', { route: 'lost', shadow: 'dead', part: 'error' })).toBe(1);
    expect(value(p, 'fieldlab_shadow_skips_total', { route: 'api', shadow: 'dark', reason: 'method' })).toBe(0);
    expect(p.get('fieldlab_shadow_skips_total')!.samples.filter((x) => x.value > 0)).toEqual([]);
    // Passive health of every endpoint a route uses, primary pools and shadow pools apart.
    expect(value(p, 'fieldlab_upstream_endpoint_up', { upstream: 'primary', pool: 'primary' })).toBe(1);
    expect(value(p, 'fieldlab_upstream_endpoint_up', { upstream: 'dark', pool: 'shadow' })).toBe(1);
    expect(value(p, 'fieldlab_upstream_endpoint_ejections_total', { upstream: 'dead', pool: 'primary' })).toBe(0);
    expect(value(p, 'fieldlab_build_info', { node: process.version })).toBe(1);
    expect(value(p, 'fieldlab_compare_compared_total')).toBe(4);
    expect(value(p, 'fieldlab_config_version')).toBe(1);
    expect(value(p, 'fieldlab_config_last_reload_success')).toBe(1);
    expect(value(p, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(p.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    // Every name is fixed: no route, arm or upstream ever appears in one.
    expect([...p.keys()].filter((n) => /api|broken|lost|primary|dark|dead/.test(n))).toEqual([]);
  });

  it('reports an ejected endpoint, skips by reason, and one event-loop window to back-to-back scrapes', async () => {
    const { fl } = await setup();
    // Three connect failures in a row eject the dead endpoint; the next request fails fast.
    for (let i = 0; i < 4; i++) await request(`${fl.url}/broken/${i}`).then((r) => r.body.text());
    // Writes are not mirrored unless the shadow lists them: a counted skip.
    await request(`${fl.url}/api/w`, { method: 'POST', body: '{}' }).then((r) => r.body.text());
    await fl.shadowsSettled();
    await fl.comparedAll();
    const [a, b] = [await scrape(fl), await scrape(fl)].map((r) => parseExposition(r.text));
    const dead = { upstream: 'dead', pool: 'primary' };
    expect(value(a!, 'fieldlab_upstream_endpoint_up', dead)).toBe(0);
    expect(value(a!, 'fieldlab_upstream_endpoint_ejections_total', dead)).toBe(1);
    expect(value(a!, 'fieldlab_requests_total', { route: 'broken', code: '503', fl_code: 'FL_NO_ENDPOINT' })).toBe(1);
    expect(value(a!, 'fieldlab_shadow_skips_total', { route: 'api', shadow: 'dark', reason: 'method' })).toBe(1);
    // Windows are closed by a timer, not by a scrape: a second Prometheus sees what the first saw.
    for (const q of ['p50', 'p99', 'max'])
      expect(value(b!, `nodejs_eventloop_lag_${q}_seconds`)).toBe(value(a!, `nodejs_eventloop_lag_${q}_seconds`));
  });

  it('reports a rejected reload and keeps counting across a good one', async () => {
    const { fl } = await setup();
    await request(`${fl.url}/api/1`).then((r) => r.body.text());
    const good = readFileSync(fl.file, 'utf8');
    writeFileSync(fl.file, 'routes: [ {');
    expect((await fl.config.reload('test')).ok).toBe(false);
    let p = parseExposition((await scrape(fl)).text);
    expect(value(p, 'fieldlab_config_last_reload_success')).toBe(0);
    writeFileSync(fl.file, `${good}\n# touched\n`);
    expect((await fl.config.reload('test')).ok).toBe(true);
    await request(`${fl.url}/api/2`).then((r) => r.body.text());
    p = parseExposition((await scrape(fl)).text);
    expect(value(p, 'fieldlab_config_last_reload_success')).toBe(1);
    expect(value(p, 'fieldlab_config_version')).toBe(2);
    // New compiled routes, same series.
    expect(value(p, 'fieldlab_requests_total', { route: 'api', status_class: '2xx' })).toBe(2);
  });

  it('is open without an admin token and needs the bearer token when one is set', async () => {
    const { fl } = await setup('admin: { listen: 127.0.0.1:0, token: s3cret-token }\n');
    expect((await scrape(fl)).status).toBe(401);
    expect((await scrape(fl, 'wrong')).status).toBe(401);
    const ok = await scrape(fl, 's3cret-token');
    expect(ok.status).toBe(200);
    expect(() => parseExposition(ok.text)).not.toThrow();
  });

  it('counts alongside tracing: both observers see the exchange, the upstream gets the tracing traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ sample: 1, serviceName: 'fieldlab' }, {}, { exporter, processor: 'simple' });
    open.push({ close: () => tracing.shutdown() });
    const { fl } = await setup('', [tracing.observer]);
    const res = await request(`${fl.url}/api/x`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    const echoed = (await res.body.json()) as { headers: Record<string, string> };
    await fl.shadowsSettled();
    for (let i = 0; i < 300 && exporter.getFinishedSpans().length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const client = exporter.getFinishedSpans().find((s) => s.name === 'GET primary')!;
    expect(parseTraceparent(echoed.headers.traceparent)?.spanId).toBe(client.spanContext().spanId);
    expect(
      exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['GET /api/*', 'GET primary', 'GET shadow:dark']);
    const p = parseExposition((await scrape(fl)).text);
    expect(value(p, 'fieldlab_requests_total', { route: 'api', status_class: '2xx' })).toBe(1);
    expect(value(p, 'fieldlab_shadow_requests_total', { route: 'api', shadow: 'dark', outcome: '2xx' })).toBe(1);
  });
});
