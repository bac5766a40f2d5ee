// The null-branch check: identical answers in both arms raise it; a different body, status mix or
// size clears it; bodies too varied to digest fall back on status and size; nothing is compared
// below 100 responses an arm; the bounded, recency-weighted cells keep their shares.
import { describe, expect, it } from 'vitest';
import { createNullBranch, NULL_BRANCH_MIN } from '../../../src/experiments/null-branch.js';

const ARMS = ['control', 'variant'];
const EP = 'GET /product/:id';

function feed(
  nb: ReturnType<typeof createNullBranch>,
  arm: string,
  n: number,
  o: { status?: (i: number) => number; bytes?: number; digest?: (i: number) => string | undefined },
) {
  for (let i = 0; i < n; i++) nb.observe('product', arm, EP, o.status?.(i) ?? 200, o.bytes ?? 500, 10, o.digest ? o.digest(i) : 'd1');
}

describe('null branch', () => {
  it('raises when the variant answers exactly like control (same statuses, sizes, digests)', () => {
    const nb = createNullBranch();
    const status = (i: number) => (i % 10 === 0 ? 404 : 200);
    feed(nb, 'control', 300, { status, digest: (i) => `d${i % 3}` });
    feed(nb, 'variant', 200, { status, digest: (i) => `d${i % 3}` });
    const [r] = nb.check('product', ARMS);
    expect(r).toMatchObject({ alarm: true, arm: 'variant' });
    expect(r!.endpoints[0]).toMatchObject({ endpoint: EP, requests: { control: 300, variant: 200 }, same: true });
    expect(r!.endpoints[0]!.statusDistance).toBeCloseTo(0, 2);
  });

  it('clears when the body differs, the status mix differs, or the size differs', () => {
    const body = createNullBranch();
    feed(body, 'control', 200, {});
    feed(body, 'variant', 200, { digest: () => 'other' });
    expect(body.check('product', ARMS)[0]).toMatchObject({ alarm: false, endpoints: [{ digestDistance: 1, same: false }] });
    const status = createNullBranch();
    feed(status, 'control', 200, {});
    feed(status, 'variant', 200, { status: (i) => (i % 5 === 0 ? 500 : 200) });
    expect(status.check('product', ARMS)[0]!.alarm).toBe(false);
    const size = createNullBranch();
    feed(size, 'control', 200, { digest: () => undefined });
    feed(size, 'variant', 200, { bytes: 560, digest: () => undefined });
    expect(size.check('product', ARMS)[0]!.alarm).toBe(false);
  });

  it('falls back on status and size when bodies are too varied to digest (every one unique)', () => {
    const nb = createNullBranch();
    feed(nb, 'control', 200, { digest: (i) => `c${i}` });
    feed(nb, 'variant', 200, { digest: (i) => `v${i}` });
    expect(nb.check('product', ARMS)[0]).toMatchObject({ alarm: true, endpoints: [{ digestDistance: null, same: true }] });
  });

  it(`compares nothing below ${NULL_BRANCH_MIN} responses an arm`, () => {
    const nb = createNullBranch();
    feed(nb, 'control', 500, {});
    feed(nb, 'variant', NULL_BRANCH_MIN - 1, {});
    expect(nb.check('product', ARMS)).toEqual([{ alarm: false, arm: 'variant', minRequests: NULL_BRANCH_MIN, endpoints: [] }]);
    expect(nb.check('unknown', ARMS)[0]!.endpoints).toEqual([]);
  });

  it('halves old counts past 2,000 responses: a variant that starts differing clears the warning', () => {
    const nb = createNullBranch();
    feed(nb, 'control', 5000, {});
    feed(nb, 'variant', 5000, {});
    expect(nb.check('product', ARMS)[0]!.alarm).toBe(true);
    feed(nb, 'variant', 3000, { digest: () => 'fixed' });
    const r = nb.check('product', ARMS)[0]!;
    expect(r.alarm).toBe(false);
    expect(r.endpoints[0]!.requests.variant).toBeLessThanOrEqual(2000);
  });

  it('samples every response of an arm up to 2,000, then one in 16', () => {
    const nb = createNullBranch();
    let taken = 0;
    for (let i = 0; i < 2000 + 1600; i++) if (nb.sample('product', 'variant')) taken++;
    expect(taken).toBe(2000 + 100);
    expect(nb.sample('product', 'control')).toBe(true);
  });
});
