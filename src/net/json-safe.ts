/**
 * One rounding rule for every JSON Fieldlab hands out (admin API, webhooks): floats keep 6
 * significant digits, so no consumer sees binary noise such as `0.010000000000000009` (1 − 0.99)
 * or `33.400000000000006` (100 − 2 × 33.3), and non-finite numbers become null (JSON has none).
 * Guardrail outputs also turn epoch-ms timestamps into ISO strings (`toJsonSafe`), like `/status`.
 */

/**
 * A number as JSON shows it: integers unchanged, floats to 6 significant digits, NaN/±Infinity null.
 * @example jsonNumber(1 - 0.99) // 0.01
 */
export function jsonNumber(x: number): number | null {
  if (!Number.isFinite(x)) return null;
  return Number.isInteger(x) ? x : +x.toPrecision(6);
}

/**
 * A `JSON.stringify` replacer applying `jsonNumber` to every number.
 * @example JSON.stringify({ p: 0.1 + 0.2 }, jsonReplacer) // '{"p":0.3}'
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' ? jsonNumber(value) : value;
}

/** Keys whose numbers are epoch-ms timestamps (shown as ISO strings at the edge). */
const TIME_KEYS = new Set([
  'at',
  'since',
  'startedAt',
  'stepSince',
  'stepStartedAt',
  'lastFailureAt',
  'promotedAt',
  'endsAt',
  'releasedAt',
  'endedAt',
]);

/**
 * A JSON-ready copy: epoch-ms timestamps under the time keys as ISO strings, numbers through
 * `jsonNumber`.
 * @example JSON.stringify(toJsonSafe({ at: 0, p: 0.1 + 0.2 })) // {"at":"1970-01-01T00:00:00.000Z","p":0.3}
 */
export function toJsonSafe(x: unknown, key = ''): unknown {
  if (typeof x === 'number') {
    if (TIME_KEYS.has(key) && Number.isFinite(x) && x > 1e11) return new Date(x).toISOString();
    return jsonNumber(x);
  }
  if (Array.isArray(x)) return x.map((v) => toJsonSafe(v));
  if (x && typeof x === 'object' && !(x instanceof Date))
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toJsonSafe(v, k)]));
  return x;
}
