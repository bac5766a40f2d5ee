// Paired deltas as quantiles: the shadow pairs' p50/p95 minus the noise pairs' at the same rank,
// noise of any shadow (route-wide repeats, noiseFrom copies) counted for every shadow, and the
// batcher feeding shadow and noise deltas into separate histograms.
import { describe, expect, it } from 'vitest';
import { pairedDeltas } from '../../../src/compare/paired-deltas.js';
import { DELTA_BOUNDS, emptyHistogram, observe } from '../../../src/stats/histogram.js';
import { createDiffBatcher } from '../../../src/storage/batcher.js';
import type { DiffBatch } from '../../../src/storage/types.js';

const F = 'trace:slower:db SELECT orders';
const hist = (values: readonly number[]) => {
  const h = emptyHistogram(DELTA_BOUNDS);
  for (const v of values) observe(h, DELTA_BOUNDS, v);
  return h;
};
const row = (shadow: string, noise: boolean, values: readonly number[]) => ({
  route: 'r',
  shadow,
  endpoint: 'GET /x',
  field: F,
  noise,
  hist: hist(values),
});

describe('pairedDeltas', () => {
  it('subtracts the noise pairs’ quantiles from the shadow pairs’', () => {
    const d = pairedDeltas({
      deltas: [
        row('dark', false, [...Array<number>(19).fill(50), 100]),
        row('*', true, Array<number>(10).fill(10)),
        row('copy', true, Array<number>(10).fill(10)),
      ],
    }).of('r', 'dark', 'GET /x', F)!;
    expect(d.pairs).toBe(20);
    expect(d.noisePairs).toBe(20);
    // Bucket upper bounds: 50 falls in the bucket bounded by ~50.x, 10 in ~10.x.
    expect(d.p50).toBeGreaterThanOrEqual(50);
    expect(d.p50).toBeLessThan(56);
    expect(d.noiseP50).toBeGreaterThanOrEqual(10);
    expect(d.noiseP50).toBeLessThan(11.1);
    expect(Math.abs(d.correctedP50 - (d.p50 - d.noiseP50!))).toBeLessThanOrEqual(0.11);
    expect(Math.abs(d.correctedP95 - (d.p95 - d.noiseP95!))).toBeLessThanOrEqual(0.11);
  });

  it('reports raw quantiles as corrected when noise is unmeasured, and nothing without shadow deltas', () => {
    const ix = pairedDeltas({ deltas: [row('dark', false, [5])] });
    expect(ix.of('r', 'dark', 'GET /x', F)).toMatchObject({ noisePairs: 0 });
    const d = ix.of('r', 'dark', 'GET /x', F)!;
    expect(d.correctedP50).toBe(d.p50);
    expect(ix.of('r', 'other', 'GET /x', F)).toBeUndefined();
    expect(pairedDeltas({}).of('r', 'dark', 'GET /x', F)).toBeUndefined();
  });
});

describe('batcher paired deltas', () => {
  it('keeps shadow-pair and noise-pair deltas in separate histograms per field', async () => {
    const written: DiffBatch[] = [];
    const b = createDiffBatcher({ store: { write: async (x) => void written.push(x) }, now: () => 7_200_000 });
    const t = { route: 'r', shadow: 'dark', endpoint: 'GET /x' };
    b.field(t, F, 'value', true, 40);
    b.field(t, F, 'value', true, 42);
    b.noise({ ...t, shadow: '*' }, F, false, 1);
    b.noise(t, 'header:date', true);
    await b.stop();
    const deltas = written[0]!.deltas!;
    expect(deltas.map((d) => [d.shadow, d.noise, d.hist.reduce((s, n) => s + n, 0)]).sort()).toEqual([
      ['*', true, 1],
      ['dark', false, 2],
    ]);
    expect(written[0]!.fields[0]!.deltaMs).toBe(82);
  });
});
