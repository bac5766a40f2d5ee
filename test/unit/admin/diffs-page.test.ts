import { describe, expect, it } from 'vitest';
import { loadPageExamples, renderDiffsPage, type ExampleLookup } from '../../../src/admin/diffs-page.js';
import type { DiffReport, EndpointReport, FieldReport } from '../../../src/compare/report.js';
import type { DiffExample } from '../../../src/storage/types.js';

const T = Date.UTC(2026, 10, 20, 10, 30);

function field(over: Partial<FieldReport> & Pick<FieldReport, 'field' | 'verdict'>): FieldReport {
  return {
    kind: 'value',
    compared: 100,
    differed: 50,
    rate: 0.5,
    noiseCompared: 90,
    noiseDiffered: 0,
    noiseRate: 0,
    lower: 0.404,
    noiseUpper: 0.041,
    ...over,
  };
}

const cart: EndpointReport = {
  route: 'checkout',
  shadow: 'v2',
  endpoint: 'GET /carts/:id',
  pairs: 100,
  realRate: 0.5,
  unmeasuredRate: 0.2,
  fieldsTotal: 4,
  fields: [
    field({ field: 'body:$.cart.total', verdict: 'real' }),
    field({ field: 'body:$.items[*].price', verdict: 'real', rate: 0.3, differed: 30, lower: 0.22 }),
    field({ field: 'header:x-new', kind: 'added', verdict: 'unmeasured', rate: 0.2, differed: 20, noiseCompared: 0, noiseUpper: 1 }),
    field({ field: 'body:$.ts', verdict: 'noise', rate: 1, differed: 100, noiseDiffered: 90, noiseRate: 1, noiseUpper: 1 }),
  ],
  statuses: [
    { primary: 200, candidate: 200, count: 97 },
    { primary: 200, candidate: 500, count: 3 },
  ],
  latency: {
    samples: 100,
    primary: { p50: 10, p95: 20, p99: 31 },
    candidate: { p50: 12, p95: 25, p99: 40 },
    delta: { p50: 2, p95: -1, p99: undefined },
  },
};

const evil: EndpointReport = {
  route: '"><img src=x onerror=alert(1)>',
  shadow: 'v2',
  endpoint: 'GET /<script>alert(2)</script>',
  pairs: 3,
  realRate: 0,
  unmeasuredRate: 0,
  fields: [],
  fieldsTotal: 0,
  statuses: [],
  latency: {
    samples: 0,
    primary: { p50: undefined, p95: undefined, p99: undefined },
    candidate: { p50: undefined, p95: undefined, p99: undefined },
    delta: { p50: undefined, p95: undefined, p99: undefined },
  },
};

const report: DiffReport = {
  generatedAt: new Date(T).toISOString(),
  filter: { route: 'checkout', since: T - 3_600_000 },
  page: { offset: 0, limit: 50, fields: 100, total: 2, next: null },
  endpoints: [cart, evil],
  skips: [
    { route: 'checkout', shadow: 'v2', reason: 'method', count: 12 },
    { route: 'checkout', shadow: 'v2', reason: 'body-truncated', count: 2 },
  ],
  totals: { pairs: 103, endpoints: 2, realFields: 2, unmeasuredFields: 1, overflowPairs: 0 },
};

const primary = {
  cart: { total: 10, currency: 'EUR' },
  items: [
    { sku: 'a', price: 1 },
    { sku: 'b', price: 2 },
  ],
  ts: 1,
  note: '</pre><script>alert(3)</script>',
};
const shadow = {
  cart: { total: 11, currency: 'EUR' },
  items: [
    { sku: 'a', price: 1 },
    { sku: 'b', price: 5 },
  ],
  ts: 2,
  note: '</pre><script>alert(3)</script>',
};

const example: DiffExample = {
  hour: T - (T % 3_600_000),
  route: 'checkout',
  shadow: 'v2',
  endpoint: 'GET /carts/:id',
  field: 'body:$.cart.total',
  kind: 'value',
  at: T,
  requestId: 'req-<1>',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  method: 'GET',
  path: '/carts/7?x=<b>',
  primaryStatus: 200,
  candidateStatus: 500,
  primaryBody: JSON.stringify(primary, null, 2),
  candidateBody: JSON.stringify(shadow, null, 2),
  paths: ['body:$.cart.total', 'body:$.items[*].price', 'body:$.ts', 'status'],
  primaryLatencyMs: 10.5,
  candidateLatencyMs: 12.25,
};

const lookups: Parameters<ExampleLookup>[0][] = [];
const lookup: ExampleLookup = async (f) => {
  lookups.push(f);
  return f.endpoint === cart.endpoint && (f.field === 'body:$.cart.total' || f.field === 'body:$.items[*].price') ? [example] : [];
};
const html = renderDiffsPage(report, await loadPageExamples(report, lookup));

/** The `<pre>` of one side of the first example. */
function side(name: 'primary' | 'shadow'): string {
  return new RegExp(`<pre class="body" data-side="${name}">([\\s\\S]*?)</pre>`).exec(html)![1]!;
}

describe('renderDiffsPage', () => {
  it('is one self-contained page: no external assets, one script of its own', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<(?:link|img|iframe)\b/i);
    expect(html).not.toMatch(/\bsrc=["']?http/i);
    expect(html.match(/<script\b/gi)).toHaveLength(1);
  });

  it('escapes every untrusted value: bodies, paths, ids, route and endpoint names', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(html).toContain('GET /&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('data-route="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(html).toContain('data-request-id="req-&lt;1&gt;"');
    expect(html).toContain('/carts/7?x=&lt;b&gt;');
  });

  it('shows the header with totals and the filter window', () => {
    expect(html).toContain('route checkout · since 2026-11-20T09:30:00.000Z');
    expect(html).toMatch(/<b>103<\/b><span>pairs compared/);
    expect(html).toMatch(/<b>2<\/b><span>real differences/);
  });

  it('ranks endpoints as the report does, with verdict badges and counts', () => {
    const ranking = html.slice(html.indexOf('id="ranking"'), html.indexOf('id="ep-0"'));
    expect(ranking.indexOf('GET /carts/:id')).toBeLessThan(ranking.indexOf('GET /&lt;script'));
    expect(ranking).toContain('2 real</span>');
    expect(ranking).toContain('1 unmeasured</span>');
    expect(ranking).toContain('<b class="changed">50.0%</b>');
  });

  it('lists fields with verdicts, rates and bounds; noise rows are marked for hiding', () => {
    expect(html).toMatch(/<tr class="f-real" data-field="body:\$\.cart\.total" data-verdict="real"/);
    expect(html).toMatch(/<tr class="f-noise" data-field="body:\$\.ts" data-verdict="noise"/);
    expect(html).toMatch(/data-field="header:x-new" data-verdict="unmeasured" data-kind="added"/);
    expect(html).toContain('50.0% <small>≥ 40.4%</small>');
    expect(html).toContain('0% <small>≤ 4.1%</small>');
    expect(html).toContain('<small>not observed</small>');
    expect(html).toContain('show 1 noise field');
    expect(html).toMatch(/\.ftable tr\.f-noise\{display:none\}/);
  });

  it('shows the status matrix with changed statuses highlighted, and the latency chart', () => {
    expect(html).toContain('<td class="num st-changed" data-status="200-500" title="3 of 100 pairs">3</td>');
    expect(html).toContain('data-status="200-200"');
    expect(html).toMatch(/<rect [^>]*data-q="p99" data-side="shadow"><title>shadow p99: 40\.0 ms<\/title>/);
    expect(html).toContain('<title>delta p50: +2.0 ms</title>');
    expect(html).toContain('<title>delta p99: – ms</title>');
    expect(html).toContain('No latency samples.');
  });

  it('shows each example once with its trace id, request id and statuses', () => {
    expect(html.match(/<article class="example"/g)).toHaveLength(1);
    expect(html).toContain('data-example-for="body:$.cart.total body:$.items[*].price"');
    expect(html).toContain('data-trace-id="4bf92f3577b34da6a3ce929d0e0e4736"');
    expect(html).toContain('200 → <b class="changed">500</b>');
    expect(lookups.every((f) => f.route === 'checkout' && f.shadow === 'v2')).toBe(true);
    expect(lookups.map((f) => f.field)).not.toContain('body:$.ts'); // no examples fetched for noise
  });

  it('highlights the differing paths in both bodies, [*] matching any index', () => {
    for (const s of ['primary', 'shadow'] as const) {
      expect(side(s)).toMatch(
        /<mark class="hl" data-path="body:\$\.cart\.total"><span class="j-k">&quot;total&quot;<\/span>: <span class="j-n">1[01]<\/span><\/mark>/,
      );
      expect(side(s).match(/data-path="body:\$\.items\[\*\]\.price"/g)).toHaveLength(2);
      // Only the element whose price changed gets the strong mark; the other is soft.
      expect(side(s)).toMatch(/<mark class="hl-soft" data-path="body:\$\.items\[\*\]\.price">[^\n]*>1</);
      expect(side(s)).toMatch(/<mark class="hl" data-path="body:\$\.items\[\*\]\.price">[^\n]*>[25]</);
      expect(side(s)).toMatch(/<mark class="hl-noise" data-path="body:\$\.ts">/);
      expect(side(s)).not.toMatch(/data-path="body:\$\.cart\.currency"/);
    }
  });

  it('lists skips with their reasons, meaning and counts', () => {
    const skips = html.slice(html.indexOf('id="skips"'));
    expect(skips).toMatch(/<tr data-reason="method"[\s\S]*?method not mirrored[\s\S]*?<td class="num">12<\/td>/);
    expect(skips).toMatch(/<tr data-reason="body-truncated"[\s\S]*?body not compared[\s\S]*?<td class="num">2<\/td>/);
    expect(html).toContain('<a href="#skips">skipped (see below)</a>');
  });

  it('says so when nothing was compared and nothing skipped', () => {
    const empty = renderDiffsPage(
      { ...report, endpoints: [], skips: [], totals: { pairs: 0, endpoints: 0, realFields: 0, unmeasuredFields: 0, overflowPairs: 0 } },
      [],
    );
    expect(empty).toContain('No shadow pairs in this window');
    expect(empty).toContain('Nothing was skipped');
  });
  it('stops adding example pairs past the page budget and links the rest instead (pages stay bounded)', async () => {
    const many = { ...report, endpoints: [cart, { ...cart, endpoint: 'GET /carts/:id/2' }, { ...cart, endpoint: 'GET /carts/:id/3' }] };
    const all = async () => [example];
    const bodies = example.primaryBody.length + example.candidateBody.length;
    const loaded = await loadPageExamples(many, all, bodies); // room for the first endpoint's examples only
    expect(loaded[0]!.length).toBeGreaterThan(0);
    expect(loaded.slice(1)).toEqual([null, null]);
    const page = renderDiffsPage(many, loaded);
    expect(page.match(/data-examples="over-budget"/g)).toHaveLength(2);
    expect(page).toContain('diffs/examples.json?route=checkout&amp;shadow=v2&amp;endpoint=GET+%2Fcarts%2F%3Aid%2F2');
  });
});
