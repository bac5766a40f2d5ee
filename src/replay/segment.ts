/**
 * `--segment`: which recorded units or requests a replay sends, as comma-separated conditions that
 * all hold — `arm=NAME`, `method=POST`, `units=0-5%` (a range of the units' record buckets: the
 * same units on every run, since a unit's bucket is a hash of its sticky key).
 */
import { METHODS } from '../config/schema-primitives.js';
import { parsePercent } from '../config/units.js';
import { BUCKETS } from '../routing/hash.js';
import type { RecordQuery } from '../storage/record-types.js';

/** A parsed segment: the store filter it becomes. */
export type Segment = Pick<RecordQuery, 'arm' | 'method' | 'buckets'>;

/**
 * Parses a segment; an error names the condition that is not understood.
 * @example parseSegment('arm=variant,units=0-10%') // { ok: true, segment: { arm: 'variant', buckets: [0, 1000] } }
 */
export function parseSegment(text: string): { ok: true; segment: Segment } | { ok: false; error: string } {
  const out: { arm?: string; method?: string; buckets?: [number, number] } = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(arm|method|units)=(.+)$/.exec(part);
    if (!m) return { ok: false, error: `invalid --segment condition "${part}" (use arm=NAME, method=METHOD or units=FROM-TO%)` };
    const [, key, value] = m as unknown as [string, 'arm' | 'method' | 'units', string];
    if (out[key === 'units' ? 'buckets' : key] !== undefined) return { ok: false, error: `--segment names ${key} twice` };
    if (key === 'arm') out.arm = value;
    else if (key === 'method') {
      const method = value.toUpperCase();
      if (!(METHODS as readonly string[]).includes(method))
        return { ok: false, error: `--segment method "${value}" is not an HTTP method` };
      out.method = method;
    } else {
      const r = /^([\d.]+)%?-([\d.]+)%$/.exec(value);
      const from = r ? parsePercent(r[1]!) : undefined;
      const to = r ? parsePercent(r[2]!) : undefined;
      if (!from?.ok || !to?.ok || from.value >= to.value)
        return { ok: false, error: `--segment units "${value}" must be a percent range FROM-TO%, e.g. 0-5% (FROM below TO)` };
      out.buckets = [Math.round((from.value / 100) * BUCKETS), Math.round((to.value / 100) * BUCKETS)];
    }
  }
  return { ok: true, segment: out };
}
