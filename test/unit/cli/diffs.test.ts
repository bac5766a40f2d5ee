import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportWindow, runDiffs, type DiffsIo } from '../../../src/cli/diffs.js';
import { parseRate } from '../../../src/cli/diffs-args.js';
import { buildReport } from '../../../src/compare/report.js';
import { DELTA_BOUNDS, LATENCY_BOUNDS, emptyHistogram, observe } from '../../../src/stats/histogram.js';
import { openSqliteStore } from '../../../src/storage/sqlite.js';
import type { DiffBatch } from '../../../src/storage/types.js';

const H = 3_600_000;
const hour = Math.floor(Date.now() / H) * H;
const cart = { hour, route: 'checkout', shadow: 'v2', endpoint: 'GET /cart/:id' };
const health = { hour, route: 'checkout', shadow: 'v2', endpoint: 'GET /health' };
const routeWide = (s: typeof cart) => ({ ...s, shadow: '*' });

function latency(scope: typeof cart, n: number) {
  const [p, c, d] = [emptyHistogram(LATENCY_BOUNDS), emptyHistogram(LATENCY_BOUNDS), emptyHistogram(DELTA_BOUNDS)];
  for (let i = 0; i < n; i++) {
    observe(p, LATENCY_BOUNDS, 10 + (i % 10));
    observe(c, LATENCY_BOUNDS, 15 + (i % 10));
    observe(d, DELTA_BOUNDS, 5);
  }
  return { ...scope, primary: p, candidate: c, delta: d };
}

/** GET /cart/:id: total differs in half the pairs (never on its own) and ts always (also on its own). */
const regression: DiffBatch = {
  pairs: [
    { ...cart, count: 100 },
    { ...health, count: 40 },
  ],
  fields: [
    { ...cart, field: 'body:$.total', kind: 'same', compared: 50, differed: 0 },
    { ...cart, field: 'body:$.total', kind: 'value', compared: 50, differed: 50 },
    { ...cart, field: 'body:$.ts', kind: 'value', compared: 100, differed: 100 },
    { ...health, field: 'body:$.ts', kind: 'value', compared: 40, differed: 40 },
  ],
  noise: [
    { ...routeWide(cart), field: 'body:$.total', compared: 90, differed: 0 },
    { ...routeWide(cart), field: 'body:$.ts', compared: 90, differed: 90 },
    { ...routeWide(health), field: 'body:$.ts', compared: 30, differed: 30 },
  ],
  statuses: [
    { ...cart, primary: 200, candidate: 200, count: 97 },
    { ...cart, primary: 200, candidate: 500, count: 3 },
    { ...health, primary: 200, candidate: 200, count: 40 },
  ],
  latency: [latency(cart, 100), latency(health, 40)],
  examples: [
    {
      ...cart,
      field: 'body:$.total',
      kind: 'value',
      at: hour + 1000,
      requestId: 'req-42',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      method: 'GET',
      path: '/cart/42',
      primaryStatus: 200,
      candidateStatus: 200,
      primaryBody: JSON.stringify({ total: 10, ts: 1 }, null, 2),
      candidateBody: JSON.stringify({ total: 11, ts: 2 }, null, 2),
      paths: ['body:$.total', 'body:$.ts'],
      primaryLatencyMs: 12,
      candidateLatencyMs: 17,
    },
  ],
  skips: [{ hour, route: 'checkout', shadow: 'v2', reason: 'method', count: 4 }],
};

/** Only noise: ts differs, as much as it does on its own. */
const noiseOnly: DiffBatch = {
  pairs: [{ ...health, count: 40 }],
  fields: [{ ...health, field: 'body:$.ts', kind: 'value', compared: 40, differed: 40 }],
  noise: [{ ...routeWide(health), field: 'body:$.ts', compared: 30, differed: 30 }],
  statuses: [],
  latency: [],
  examples: [],
  skips: [],
};

/** The shadow spends 40 ms more in one downstream operation in every pair (a trace:slower field). */
const slowerOp = 'trace:slower:db SELECT orders';
/** A paired-delta histogram of `values` (ms), as the batcher keeps them. */
function deltaHist(values: readonly number[]): number[] {
  const h = emptyHistogram(DELTA_BOUNDS);
  for (const v of values) observe(h, DELTA_BOUNDS, v);
  return h;
}
const slowerOnly: DiffBatch = {
  ...noiseOnly,
  pairs: [{ ...cart, count: 20 }],
  fields: [{ ...cart, field: slowerOp, kind: 'value', compared: 20, differed: 20, deltaMs: 20 * 40 }],
  noise: [{ ...routeWide(cart), field: slowerOp, compared: 20, differed: 10 }],
  // 18 pairs 40 ms slower, 2 of them 60 ms; the noise pairs differ by 2 ms (and 5 ms at p95).
  deltas: [
    { ...cart, field: slowerOp, noise: false, hist: deltaHist([...Array<number>(18).fill(40), 60, 60]) },
    { ...routeWide(cart), field: slowerOp, noise: true, hist: deltaHist([...Array<number>(18).fill(2), 5, 5]) },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-cli-diffs-'));
const regressed = join(dir, 'regressed.db');
const quiet = join(dir, 'quiet.db');
const slower = join(dir, 'slower.db');

beforeAll(async () => {
  for (const [file, batch] of [
    [regressed, regression],
    [quiet, noiseOnly],
    [slower, slowerOnly],
  ] as const) {
    const store = openSqliteStore(file);
    await store.write(batch);
    await store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: DiffsIo = { out: (s) => out.push(s), err: (s) => err.push(s), env: {}, isTTY: false };
  const code = await runDiffs(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('fieldlab diffs (text)', () => {
  it('ranks endpoints by real-difference rate, then lists fields, statuses, latency, examples and skips', async () => {
    const r = await run('--store', `sqlite:${regressed}`);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const out = r.out;
    expect(out.indexOf('#1 GET /cart/:id')).toBeGreaterThan(-1);
    expect(out.indexOf('#1 GET /cart/:id')).toBeLessThan(out.indexOf('#2 GET /health'));
    expect(out).toContain('140 pairs · 2 endpoints · 1 real · 0 unmeasured · 4 skipped');
    expect(out).toMatch(/REAL\s+50\.0% \(≥ 40\.4%\)\s+0% \(≤ 4\.1%\)\s+50\/100\s+0\/90\s+value\s+body:\$\.total/);
    expect(out).toMatch(/noise\s+100% \(≥ 96\.3%\)\s+100% \(≤ 100%\)\s+100\/100\s+90\/90\s+value\s+body:\$\.ts/);
    expect(out).toContain('statuses (primary→shadow): 200→200 ×97, 200→500 ×3');
    expect(out).toMatch(/primary\s+\d+(\.\d)?\s+\d+(\.\d)?\s+\d+(\.\d)?/);
    expect(out).toMatch(/delta\s+\+5\.\d\s+\+5\.\d\s+\+5\.\d\s+\(shadow − primary, 100 paired samples\)/);
    expect(out).toContain('example body:$.total: GET /cart/42  200→200  12.0→17.0 ms');
    expect(out).toContain('request id req-42  trace id 4bf92f3577b34da6a3ce929d0e0e4736');
    expect(out).toContain('primary 10  shadow 11');
    expect(out).toMatch(/checkout → v2\s+method\s+4\s+method not mirrored/);
    expect(out).not.toContain('\u001b[');
  });

  it('shows the mean paired latency delta beside a trace:slower field, and in the JSON', async () => {
    const r = await run('--store', `sqlite:${slower}`);
    // Quantiles are bucket bounds (~10% apart): p50 ≈ 40, noise p50 ≈ 2, so ≈ +38 ms beyond noise.
    expect(r.out).toMatch(
      /REAL\s.*trace:slower:db SELECT orders {2}\(\+3\d\.\d ms p50, \+\d+\.\d ms p95 beyond noise \(raw \+4\d\.\d \/ \+6\d\.\d; noise \+2\.\d \/ \+5\.\d over 20 pairs\) · \+40\.0 ms mean paired delta\)/,
    );
    const json = JSON.parse((await run('--store', `sqlite:${slower}`, '--json')).out) as {
      endpoints: { fields: { field: string; meanDeltaMs?: number }[] }[];
    };
    expect(json.endpoints[0]!.fields.find((f) => f.field === slowerOp)?.meanDeltaMs).toBe(40);
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    const lines: string[] = [];
    await runDiffs(['--store', `sqlite:${regressed}`], { out: (s) => lines.push(s), err: () => undefined, env: {}, isTTY: true });
    expect(lines.join('\n')).toContain('\u001b[1;31m   REAL');
    const plain: string[] = [];
    await runDiffs(['--store', `sqlite:${regressed}`], {
      out: (s) => plain.push(s),
      err: () => undefined,
      env: { NO_COLOR: '1' },
      isTTY: true,
    });
    expect(plain.join('\n')).not.toContain('\u001b[');
  });

  it('applies filters', async () => {
    const r = await run('--store', `sqlite:${regressed}`, '--endpoint', 'GET /health', '--since', '2h');
    expect(r.out).not.toContain('GET /cart/:id');
    expect(r.out).toContain('#1 GET /health');
    expect(r.out).toMatch(/endpoint GET \/health · since \d{4}-/);
  });
});

describe('fieldlab diffs --json / --html', () => {
  it('prints the same report buildReport makes, parseable', async () => {
    const r = await run('--store', `sqlite:${regressed}`, '--json');
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.out) as Record<string, unknown>;
    const store = openSqliteStore(regressed);
    const expected = JSON.parse(JSON.stringify(buildReport(await store.rows({}), {}))) as Record<string, unknown>;
    await store.close();
    // The report model, plus the window it read (the CLI's addition).
    expect({ ...parsed, generatedAt: 'x', window: undefined }).toEqual({ ...expected, generatedAt: 'x' });
    expect(parsed.window).toEqual({ resolution: '1h', requested: { since: null, until: null }, read: { from: null, to: null } });
    expect(parsed).not.toHaveProperty('examples');
  });

  it('adds examples of non-noise fields with --examples', async () => {
    const parsed = JSON.parse((await run('--store', `sqlite:${regressed}`, '--json', '--examples', '2')).out) as {
      examples: { requestId: string; field: string }[];
    };
    expect(parsed.examples.map((e) => [e.requestId, e.field])).toEqual([['req-42', 'body:$.total']]);
  });

  it('writes the admin page to a file', async () => {
    const file = join(dir, 'report.html');
    const r = await run('--store', `sqlite:${regressed}`, '--html', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/<tr class="f-real" data-field="body:\$\.total" data-verdict="real"/);
    expect(html).toContain('data-trace-id="4bf92f3577b34da6a3ce929d0e0e4736"');
  });
});

describe('fieldlab diffs --fail-on trace-slower', () => {
  it('exits 1 when a real trace:slower field is slower beyond noise than the gate, at p50 or p95', async () => {
    const r = await run('--store', `sqlite:${slower}`, '--fail-on', 'trace-slower:20ms');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /FAIL — checkout → v2\s+GET \/cart\/:id\s+trace:slower:db SELECT orders\s+\+3\d\.\d ms p50 beyond noise, above 20 ms/,
    );
    expect((await run('--store', `sqlite:${slower}`, '--fail-on', 'trace-slower:p95:50ms')).code).toBe(1);
  });

  it('passes under the gate, alone or beside a rate gate', async () => {
    const r = await run('--store', `sqlite:${slower}`, '--fail-on', 'trace-slower:45ms');
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS');
    expect((await run('--store', `sqlite:${slower}`, '--fail-on', 'trace-slower:p95:80ms')).code).toBe(0);
    // The rate gate still trips on its own (every pair is slower).
    expect((await run('--store', `sqlite:${slower}`, '--fail-on', '1%,trace-slower:45ms')).code).toBe(1);
    expect((await run('--store', `sqlite:${regressed}`, '--fail-on', 'trace-slower:1ms')).code).toBe(0);
  });

  it('refuses a malformed latency gate', async () => {
    for (const gate of ['trace-slower:20', 'trace-slower:p99:20ms', 'trace-slower:-5ms', '1%,2%']) {
      const r = await run('--store', `sqlite:${slower}`, '--fail-on', gate);
      expect(r.code, gate).toBe(2);
      expect(r.err, gate).toContain('invalid --fail-on');
    }
  });
});

describe('fieldlab diffs --fail-on', () => {
  it('exits 1 naming the real fields above the rate', async () => {
    const r = await run('--store', `sqlite:${regressed}`, '--fail-on', '1%');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL — 1 real field above 1\.0%:\n\s+checkout → v2\s+GET \/cart\/:id\s+body:\$\.total\s+real 50\.0%/);
  });

  it('exits 0 when the real rate is under the threshold, or only noise differs', async () => {
    expect((await run('--store', `sqlite:${regressed}`, '--fail-on', '0.6')).code).toBe(0);
    const r = await run('--store', `sqlite:${quiet}`, '--fail-on', '1%');
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS');
  });

  it('keeps stdout pure JSON and reports the gate on stderr with --json', async () => {
    const r = await run('--store', `sqlite:${regressed}`, '--json', '--fail-on', '0.01');
    expect(r.code).toBe(1);
    expect(() => JSON.parse(r.out) as unknown).not.toThrow();
    expect(r.err).toContain('FAIL');
  });

  it('counts unmeasured fields with --strict', async () => {
    const file = join(dir, 'unmeasured.db');
    const store = openSqliteStore(file);
    await store.write({ ...noiseOnly, noise: [], fields: [{ ...health, field: 'body:$.new', kind: 'added', compared: 40, differed: 40 }] });
    await store.close();
    expect((await run('--store', `sqlite:${file}`, '--fail-on', '1%')).code).toBe(0);
    const r = await run('--store', `sqlite:${file}`, '--fail-on', '1%', '--strict');
    expect(r.code).toBe(1);
    expect(r.out).toContain('body:$.new  unmeasured 100%');
  });

  it('parses rates as percentages or fractions', async () => {
    expect(parseRate('1%')).toBe(0.01);
    expect(parseRate('0.5%')).toBe(0.005);
    expect(parseRate('0.01')).toBe(0.01);
    expect(parseRate('1')).toBeUndefined();
    expect(parseRate('150%')).toBeUndefined();
    expect(parseRate('abc')).toBeUndefined();
  });
});

describe('fieldlab diffs: where the store is, and usage errors', () => {
  it('reads store.url from --config', async () => {
    const config = join(dir, 'fieldlab.yaml');
    writeFileSync(config, `upstreams: { a: "http://127.0.0.1:9" }\nstore: sqlite:${regressed}\n`);
    const r = await run('--config', config, '--fail-on', '1%');
    expect(r.code).toBe(1);
  });

  it('exits 2 with a message naming the file when the store is missing or unreadable', async () => {
    const missing = join(dir, 'nope', 'fieldlab.db');
    const r = await run('--store', `sqlite:${missing}`);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`store file not found: ${missing}`);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just text that is long enough to have a header page or so');
    const j = await run('--store', `sqlite:${junk}`);
    expect(j.code).toBe(2);
    expect(j.err).toContain(`cannot read store ${junk}`);
    const c = await run('--config', join(dir, 'missing.yaml'));
    expect(c.code).toBe(2);
    expect(c.err).toContain('missing.yaml');
  });

  it('exits 2 on bad flag values and unknown flags', async () => {
    for (const args of [
      ['--since', 'yesterday-ish'],
      ['--fail-on', 'lots'],
      ['--examples', '-1'],
      ['--bogus'],
      ['--route'],
      ['--strict'],
      ['extra'],
    ]) {
      const r = await run('--store', `sqlite:${regressed}`, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^fieldlab diffs: /);
    }
    expect((await run('--store', `sqlite:${regressed}`, '--since', 'yesterday-ish')).err).toContain('invalid since "yesterday-ish"');
  });

  it('documents every flag in --help', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const flag of [
      '--config',
      '--store',
      '--route',
      '--shadow',
      '--endpoint',
      '--since',
      '--until',
      '--json',
      '--html',
      '--fail-on',
      '--strict',
      '--examples',
      '--help',
    ]) {
      expect(r.out).toContain(flag);
    }
  });
});

describe('fieldlab diffs: a gate cannot pass on a typo or on nothing', () => {
  it('an unknown route, shadow or endpoint exits 2 listing the known ones (with a did-you-mean)', async () => {
    const r = await run('--store', `sqlite:${regressed}`, '--route', 'checkuot', '--fail-on', '1%');
    expect(r.code).toBe(2);
    expect(r.err).toContain('fieldlab diffs: unknown route "checkuot", did you mean "checkout"? — known routes: checkout');
    const s = await run('--store', `sqlite:${regressed}`, '--route', 'checkout', '--shadow', 'v3');
    expect(s.code).toBe(2);
    expect(s.err).toContain('unknown shadow "v3", did you mean "v2"? — known shadows on route checkout: v2');
    const e = await run('--store', `sqlite:${regressed}`, '--endpoint', 'GET /carts/:id');
    expect(e.code).toBe(2);
    expect(e.err).toContain(
      'unknown endpoint "GET /carts/:id", did you mean "GET /cart/:id"? — known endpoints: GET /cart/:id, GET /health',
    );
  });

  it("knows the config's routes and shadows even before they have data", async () => {
    const config = join(dir, 'names.yaml');
    writeFileSync(
      config,
      `upstreams: { a: "http://127.0.0.1:9", dark: "http://127.0.0.1:10" }\nstore: sqlite:${regressed}\nroutes:\n  - name: fresh\n    arms: { control: a }\n    shadow: [{ to: dark }]\n`,
    );
    const r = await run('--config', config, '--route', 'fresh', '--shadow', 'dark', '--fail-on', '1%');
    expect(r.code).toBe(3); // known, but no pairs yet: "no data", not "unknown"
    expect(r.out).toContain('NO DATA');
    expect((await run('--config', config, '--route', 'nope')).err).toContain('known routes: checkout, fresh');
  });

  it('an --endpoint without its method is a usage error showing the expected form', async () => {
    const r = await run('--store', `sqlite:${regressed}`, '--endpoint', '/cart/:id', '--fail-on', '1%');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--endpoint "/cart/:id" needs its method: use the form "GET /cart/:id"');
  });

  it('zero pairs under --fail-on is "no data", exit 3; --allow-empty passes it, saying so', async () => {
    const old = `${Date.now() - 30 * 86_400_000}`;
    const r = await run('--store', `sqlite:${regressed}`, '--until', old, '--fail-on', '1%');
    expect(r.code).toBe(3);
    expect(r.out).toContain('fieldlab diffs: NO DATA — no data: 0 pairs in this window');
    expect(r.out).not.toContain('PASS');
    const ok = await run('--store', `sqlite:${regressed}`, '--until', old, '--fail-on', '1%', '--allow-empty');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('PASS (--allow-empty) — no data: 0 pairs');
    expect((await run('--store', `sqlite:${regressed}`, '--allow-empty')).code).toBe(2); // only with --fail-on
  });

  it('says plainly that a window reads whole hours, in the text and the JSON', async () => {
    const text = await run('--store', `sqlite:${regressed}`, '--since', '1m');
    expect(text.out.split('\n')[2]).toMatch(
      /^resolution: hourly — data is stored per hour, so this reads the whole hours from \d{4}-\d\d-\d\dT\d\d:00:00\.000Z to now$/,
    );
    // The hour `--since 1m` starts in is taken when the command runs (a run may cross an hour boundary).
    const hourOf = (t: number) => new Date(Math.floor((t - 60_000) / H) * H).toISOString();
    const before = Date.now();
    const json = JSON.parse((await run('--store', `sqlite:${regressed}`, '--since', '1m', '--json')).out) as {
      window: { resolution: string; read: { from: string; to: null } };
    };
    expect(json.window).toMatchObject({ resolution: '1h', read: { to: null } });
    expect([hourOf(before), hourOf(Date.now())]).toContain(json.window.read.from);
    expect(reportWindow({ since: Date.parse('2026-12-02T14:59:00Z'), until: Date.parse('2026-12-02T15:01:00Z') }).read).toEqual({
      from: '2026-12-02T14:00:00.000Z',
      to: '2026-12-02T16:00:00.000Z',
    });
  });
});
