/**
 * The access line's fields as JSON text, built directly instead of by pino's generic walk: pino looks
 * up a serializer and a stringifier per key, type-switches every value and escapes every string,
 * which for the 17 fields of a line per request cost more than the rest of the line's path. The
 * output has the fields, order and values pino wrote (tested against pino itself); fields that are
 * undefined are left out, as pino does.
 */

/** One exchange's access fields; the names are the line's keys. */
export interface AccessFields {
  readonly rid: string;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly route: string | undefined;
  readonly arm: string | undefined;
  readonly upstream: string | undefined;
  readonly endpoint: string | undefined;
  readonly force: string | undefined;
  readonly excluded: string | undefined;
  readonly fault: string | undefined;
  readonly status: number;
  readonly code: string | undefined;
  readonly ms: number;
  readonly upstreamMs: number | undefined;
  readonly bytes: number;
  readonly upgrade: string | undefined;
}

/**
 * `,"type":"access","rid":…` — the part of the line after the logger's bindings, without `msg`.
 * @example accessFields({ rid: 'r1', method: 'GET', path: '/', status: 200, ms: 1.2, bytes: 5, … }) // ',"type":"access","rid":"r1",…'
 */
export function accessFields(f: AccessFields): string {
  let s = `,"type":"access","rid":${str(f.rid)}`;
  if (f.method !== undefined) s += `,"method":${known(f.method)}`;
  if (f.path !== undefined) s += `,"path":${str(f.path)}`;
  if (f.route !== undefined) s += `,"route":${known(f.route)}`;
  if (f.arm !== undefined) s += `,"arm":${known(f.arm)}`;
  if (f.upstream !== undefined) s += `,"upstream":${known(f.upstream)}`;
  if (f.endpoint !== undefined) s += `,"endpoint":${known(f.endpoint)}`;
  if (f.force !== undefined) s += `,"force":${known(f.force)}`;
  if (f.excluded !== undefined) s += `,"excluded":${known(f.excluded)}`;
  if (f.fault !== undefined) s += `,"fault":${known(f.fault)}`;
  s += `,"status":${num(f.status)}`;
  if (f.code !== undefined) s += `,"code":${known(f.code)}`;
  s += `,"ms":${num(f.ms)}`;
  if (f.upstreamMs !== undefined) s += `,"upstreamMs":${num(f.upstreamMs)}`;
  s += `,"bytes":${num(f.bytes)}`;
  if (f.upgrade !== undefined) s += `,"upgrade":${str(f.upgrade)}`;
  return s;
}

/** As pino writes a number: a non-finite one is null. */
function num(n: number): string {
  if (n > 0 && n < 1e13 && !Number.isInteger(n)) {
    // Durations come rounded to hundredths. Number-to-string of a fraction (shortest round trip)
    // cost ~120 ns here; from two integers ~45 ns. Same text: h / 100 === n means "whole.ff" is the
    // decimal nearest n, and at these magnitudes no shorter decimal names the same double.
    const h = Math.round(n * 100);
    if (h / 100 === n) {
      const whole = Math.floor(h / 100);
      const frac = h - whole * 100;
      return frac % 10 === 0 ? `${whole}.${frac / 10}` : `${whole}.${frac < 10 ? '0' : ''}${frac}`;
    }
  }
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * A string as JSON. Printable ASCII other than `"` and `\` (every path and id in practice) is
 * quoted as it is; anything else goes through JSON.stringify, which also escapes lone surrogates
 * (pino wrote those raw, making the line invalid UTF-8).
 */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * Values from a small set (route, arm and upstream names, endpoint origins, methods, error codes,
 * force and exclusion reasons): quoted once. Bounded, so values an outsider can vary (a method
 * token) can't grow it; past the bound they are quoted each time.
 */
const quoted = new Map<string, string>();
const MAX_QUOTED = 4096;

function known(s: string): string {
  const q = quoted.get(s);
  if (q !== undefined) return q;
  const made = str(s);
  if (quoted.size < MAX_QUOTED) quoted.set(s, made);
  return made;
}
