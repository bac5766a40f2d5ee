// --segment: conditions that all hold, unit ranges as record buckets, clear errors for the rest.
import { describe, expect, it } from 'vitest';
import { parseSegment } from '../../../src/replay/segment.js';

describe('parseSegment', () => {
  it('reads arm, method and a units range (percent of the 10,000 record buckets)', () => {
    expect(parseSegment('arm=variant, method=post,units=0-5%')).toEqual({
      ok: true,
      segment: { arm: 'variant', method: 'POST', buckets: [0, 500] },
    });
    expect(parseSegment('units=12.5-100%')).toEqual({ ok: true, segment: { buckets: [1250, 10_000] } });
  });

  it.each([
    ['color=red', /arm=NAME/],
    ['method=FETCH', /not an HTTP method/],
    ['units=5-1%', /FROM below TO/],
    ['units=0-150%', /percent range/],
    ['arm=a,arm=b', /twice/],
  ])('refuses %s', (text, message) => {
    const r = parseSegment(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});
