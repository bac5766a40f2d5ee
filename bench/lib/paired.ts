/**
 * Ratios paired by pass. Each pass measures every peer within a minute or so, so a ratio taken inside
 * one pass (Fieldlab's CPU per request over the reference's, in that pass) sees the same machine on
 * both sides; the median over many short passes then shrugs off the slow periods of a noisy VM
 * (this box: ±40% for one build across minutes), where the ratio of two averages does not.
 */
import type { PeerName } from './peers.js';
import type { PeerOutcome } from './report.js';

/** One peer's per-pass ratios to the reference: their median and range. */
export interface PairedRatio {
  readonly name: PeerName;
  /** Passes where both were measured. */
  readonly passes: number;
  readonly cpu: Spread | undefined;
  readonly rps: Spread;
  readonly p99: Spread;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Every peer's per-pass ratios to `ref` (pass i of one against pass i of the other); a peer that
 * failed, or the reference itself, is left out.
 * @example pairedRatios([undici, fieldlab], 'undici')[0].cpu?.median // 1.2
 */
export function pairedRatios(outcomes: readonly PeerOutcome[], ref: PeerName): PairedRatio[] {
  const base = outcomes.find((o) => o.name === ref && !o.failure);
  if (!base) return [];
  const out: PairedRatio[] = [];
  for (const o of outcomes) {
    if (o === base || o.failure) continue;
    const n = Math.min(o.passes.length, base.passes.length);
    if (n === 0) continue;
    const ratios = (f: (i: number, of: PeerOutcome) => number | undefined): number[] =>
      Array.from({ length: n }, (_, i) => (f(i, o) ?? Number.NaN) / (f(i, base) ?? Number.NaN)).filter(Number.isFinite);
    const cpu = ratios((i, x) => x.passes[i]!.cpu?.proxyUs);
    out.push({
      name: o.name,
      passes: n,
      cpu: cpu.length > 0 ? spread(cpu) : undefined,
      rps: spread(ratios((i, x) => x.passes[i]!.rps)),
      p99: spread(ratios((i, x) => x.passes[i]!.p99)),
    });
  }
  return out;
}

/**
 * Median (the mean of the middle two for an even count), min and max; NaN for none.
 * @example spread([3, 1, 2]) // { median: 2, min: 1, max: 3 }
 */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s.at(-1)! };
}
