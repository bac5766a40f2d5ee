/**
 * Parsers for the human units the config accepts: durations (`30s`), sizes (`1MiB`), percents (`10%`)
 * and listen addresses (`0.0.0.0:8080`). Pure functions returning a value or an error string, so the
 * schema can turn failures into located config errors.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration into milliseconds. Bare numbers are milliseconds.
 * @example parseDuration('2m') // { ok: true, value: 120000 }
 */
export function parseDuration(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? { ok: true, value: input } : { ok: false, error: `invalid duration ${input}` };
  }
  // A bare number in a string ("500", e.g. from a quoted ${VAR}) means milliseconds, like a number.
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(input);
  if (!m) return { ok: false, error: `invalid duration "${input}" (use e.g. 500ms, 30s, 2m, 1h)` };
  return { ok: true, value: Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!) };
}

/**
 * Writes milliseconds back in the largest unit that divides them, the way a config says them.
 * @example formatDuration(120000) // '2m'
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Parses a byte size. Bare numbers are bytes; `KiB/MiB/GiB` are binary, `KB/MB/GB` decimal.
 * @example parseSize('1MiB') // { ok: true, value: 1048576 }
 */
export function parseSize(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= 0 ? { ok: true, value: input } : { ok: false, error: `invalid size ${input}` };
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) return { ok: false, error: `invalid size "${input}" (use e.g. 512KiB, 1MiB, 10MB)` };
  return { ok: true, value: Math.round(Number(m[1]) * unit) };
}

/**
 * Parses a percent between 0 and 100; `10`, `10%` and `99.9%` are all accepted.
 * @example parsePercent('99.9%') // { ok: true, value: 99.9 }
 */
export function parsePercent(input: string | number): Parsed<number> {
  const n = typeof input === 'number' ? input : /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(input)?.[1];
  const value = Number(n);
  if (n === undefined || !Number.isFinite(value) || value < 0 || value > 100) {
    return { ok: false, error: `invalid percent "${input}" (must be between 0 and 100)` };
  }
  return { ok: true, value };
}

/** Bounds of a ratio; `gt`/`lt` exclude the bound, `min`/`max` include it. */
export interface RatioBounds {
  readonly min?: number;
  readonly max?: number;
  readonly gt?: number;
  readonly lt?: number;
}

/**
 * Parses a ratio: a plain number (`0.01`, `1.5`) or a percent (`1%`, `150%`), within `bounds`. One
 * parser for every key that takes a ratio, so a percent is accepted wherever a ratio is.
 * @example parseRatio('5%', { gt: 0, lt: 0.5 }) // { ok: true, value: 0.05 }
 * @example parseRatio(1.5, { min: 1 }) // { ok: true, value: 1.5 }
 */
export function parseRatio(input: string | number, bounds: RatioBounds = {}): Parsed<number> {
  const m = typeof input === 'number' ? undefined : /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(%?)\s*$/.exec(input);
  const value = typeof input === 'number' ? input : m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!Number.isFinite(value)) return { ok: false, error: `invalid ratio "${input}" (use a number like 0.05 or a percent like 5%)` };
  const shown = (n: number) => `${n} (${+(n * 100).toPrecision(12)}%)`;
  const { min, max, gt, lt } = bounds;
  if (min !== undefined && value < min) return { ok: false, error: `must be at least ${shown(min)}, got ${input}` };
  if (max !== undefined && value > max) return { ok: false, error: `must be at most ${shown(max)}, got ${input}` };
  if (gt !== undefined && value <= gt) return { ok: false, error: `must be greater than ${shown(gt)}, got ${input}` };
  if (lt !== undefined && value >= lt) return { ok: false, error: `must be less than ${shown(lt)}, got ${input}` };
  // Percent division leaves float noise (5% → 0.05 exactly, but 0.1% → 0.001 needs rounding).
  return { ok: true, value: +value.toPrecision(12) };
}

/** A socket address to listen on. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `:port`, `[::1]:port` or a bare port (host defaults to 0.0.0.0).
 * @example parseListen('127.0.0.1:9901') // { ok: true, value: { host: '127.0.0.1', port: 9901 } }
 */
export function parseListen(input: string | number): Parsed<ListenAddress> {
  const text = String(input).trim();
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    return { ok: false, error: `invalid listen address "${text}" (use host:port, e.g. 0.0.0.0:8080)` };
  }
  return { ok: true, value: { host: m[1] || m[2] || '0.0.0.0', port } };
}
