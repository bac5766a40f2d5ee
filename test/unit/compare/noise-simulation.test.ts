// End-to-end check of the noise model on synthetic traffic: 30 URLs × 10 repeats. `$.ts` is random
// on every answer (noise), `$.total` is stable for the primary but always wrong in the shadow (a
// real regression). Counts are aggregated the way storage will, then classified.
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../src/compare/compare.js';
import { classifyField, createRepeatNoise, flattenLeaves, repeatKey } from '../../../src/compare/noise.js';
import type { PairDiff } from '../../../src/compare/types.js';
import { RULES, pair, resp } from './fixtures.js';
import { mulberry32 as prng } from '../../../src/stats/random.js';

type Counts = Map<string, { compared: number; differed: number }>;

function add(into: Counts, compared: readonly string[], differed: readonly string[]): void {
  for (const f of compared) {
    const c = into.get(f) ?? { compared: 0, differed: 0 };
    c.compared++;
    into.set(f, c);
  }
  for (const f of new Set(differed)) into.get(f)!.differed++;
}

const addPair = (into: Counts, d: PairDiff) =>
  add(
    into,
    d.compared,
    d.fields.map((f) => f.field),
  );

function verdicts(raw: Counts, noise: Counts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, c] of raw) {
    if (c.differed === 0) continue;
    const n = noise.get(field) ?? { compared: 0, differed: 0 };
    out[field] = classifyField({
      compared: c.compared,
      differed: c.differed,
      noiseCompared: n.compared,
      noiseDiffered: n.differed,
    }).verdict;
  }
  return out;
}

function traffic(visit: (url: string, at: number, primary: object, shadow: object, copy: object) => void): void {
  const rnd = prng(42);
  const ts = () => Math.floor(rnd() * 1e12);
  for (let r = 0; r < 10; r++) {
    for (let u = 0; u < 30; u++) {
      const body = { id: u, total: 100 + u, items: [{ sku: `s${u}`, qty: u % 3 }] };
      visit(`/orders/${u}`, r * 1000 + u, { ...body, ts: ts() }, { ...body, ts: ts(), total: 101 + u }, { ...body, ts: ts() });
    }
  }
}

describe('noise model simulation (300 requests, 30 URLs × 10 repeats)', () => {
  it('repeat noise: $.ts is noise, $.total is real', () => {
    const raw: Counts = new Map();
    const noise: Counts = new Map();
    const learner = createRepeatNoise();
    traffic((url, at, primary, shadow) => {
      addPair(raw, comparePair(pair(resp(primary), resp(shadow), url), RULES));
      const n = learner.noiseFromRepeat(repeatKey('GET', url), flattenLeaves(primary, RULES), at);
      add(noise, n.compared, n.differed);
    });
    expect(raw.get('body:$.ts')).toEqual({ compared: 300, differed: 300 });
    expect(raw.get('body:$.total')).toEqual({ compared: 300, differed: 300 });
    expect(noise.get('body:$.ts')).toEqual({ compared: 270, differed: 270 }); // the first visit of each URL has nothing to compare with
    expect(noise.get('body:$.total')).toEqual({ compared: 270, differed: 0 });
    expect(verdicts(raw, noise)).toEqual({ 'body:$.ts': 'noise', 'body:$.total': 'real' });
  });

  it('noiseFrom noise (primary vs a second copy of control): same verdicts', () => {
    const raw: Counts = new Map();
    const noise: Counts = new Map();
    traffic((url, _at, primary, shadow, copy) => {
      addPair(raw, comparePair(pair(resp(primary), resp(shadow), url), RULES));
      addPair(noise, comparePair(pair(resp(primary), resp(copy), url), RULES));
    });
    expect(noise.get('body:$.ts')).toEqual({ compared: 300, differed: 300 });
    expect(verdicts(raw, noise)).toEqual({ 'body:$.ts': 'noise', 'body:$.total': 'real' });
  });

  it('without noise data the regression and the noise are both unmeasured, not guessed', () => {
    const raw: Counts = new Map();
    traffic((url, _at, primary, shadow) => addPair(raw, comparePair(pair(resp(primary), resp(shadow), url), RULES)));
    expect(verdicts(raw, new Map())).toEqual({ 'body:$.ts': 'unmeasured', 'body:$.total': 'unmeasured' });
  });
});
