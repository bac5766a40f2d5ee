// The decorating pair sink behind startApp's `pairTap`: the tap sees each pair and skip first, the
// real sink still gets every call, and back-pressure (`accepting`) is the real sink's.
import { describe, expect, it } from 'vitest';
import type { ComparePair } from '../../../src/compare/types.js';
import type { PairSink } from '../../../src/mirror/mirror.js';
import type { CompiledShadow } from '../../../src/mirror/shadow-spec.js';
import { tapPairSink } from '../../../src/mirror/sink-tap.js';

describe('tapPairSink', () => {
  it('calls the tap, then the sink, and leaves accepting to the sink', () => {
    const calls: string[] = [];
    let accepting = true;
    const sink: PairSink = {
      accepting: () => accepting,
      pair: (p) => void calls.push(`sink:pair:${p.requestId}`),
      skip: (route, shadow, reason) => void calls.push(`sink:skip:${route}/${shadow}:${reason}`),
    };
    const tapped = tapPairSink(sink, {
      pair: (p) => void calls.push(`tap:pair:${p.requestId}`),
      skip: (_r, _s, reason) => void calls.push(`tap:skip:${reason}`),
    });
    tapped.pair({ requestId: 'r1' } as ComparePair, {} as CompiledShadow, 'shadow');
    tapped.skip('api', 'dark', 'method');
    expect(calls).toEqual(['tap:pair:r1', 'sink:pair:r1', 'tap:skip:method', 'sink:skip:api/dark:method']);
    expect(tapped.accepting()).toBe(true);
    accepting = false;
    expect(tapped.accepting()).toBe(false);
  });

  it('works with a tap that only watches pairs', () => {
    const skipped: string[] = [];
    const sink: PairSink = { accepting: () => true, pair: () => undefined, skip: (_r, _s, reason) => void skipped.push(reason) };
    tapPairSink(sink, { pair: () => undefined }).skip('api', 'dark', 'queue_full');
    expect(skipped).toEqual(['queue_full']);
  });
});
