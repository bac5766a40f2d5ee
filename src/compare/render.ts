/**
 * Short JSON renderings of values for diff examples. Bounded: it stops writing once the budget is
 * spent, so rendering a removed 1 MB subtree costs ~200 characters of work, not a full
 * JSON.stringify. Never throws (cycles can't occur in parsed JSON; depth is bounded by the budget).
 */

/** Default rendering budget, in characters. */
export const RENDER_MAX = 200;

const ELLIPSIS = '…';

class Writer {
  out = '';
  /** Something was left out. */
  cut = false;
  constructor(readonly max: number) {}
  get full(): boolean {
    return this.out.length >= this.max;
  }
  put(s: string): void {
    if (this.full) this.cut = true;
    else this.out += s;
  }
}

function write(w: Writer, v: unknown): void {
  if (w.full) return void (w.cut = true);
  if (v === null || typeof v === 'boolean') return w.put(String(v));
  if (typeof v === 'number') return w.put(Number.isFinite(v) ? String(v) : 'null');
  if (typeof v === 'string') return w.put(JSON.stringify(v.length > w.max ? v.slice(0, w.max) : v));
  if (typeof v === 'bigint') return w.put(String(v));
  if (Array.isArray(v)) {
    w.put('[');
    for (let i = 0; i < v.length && !w.full; i++) {
      if (i > 0) w.put(',');
      write(w, v[i]);
    }
    return w.put(']');
  }
  if (typeof v === 'object') {
    w.put('{');
    let first = true;
    for (const k in v) {
      if (w.full) break;
      if (!Object.hasOwn(v, k)) continue;
      if (!first) w.put(',');
      first = false;
      w.put(JSON.stringify(k.length > w.max ? k.slice(0, w.max) : k));
      w.put(':');
      write(w, (v as Record<string, unknown>)[k]);
    }
    return w.put('}');
  }
  w.put(JSON.stringify(String(v)));
}

/**
 * Renders `v` as JSON text of at most `max` characters (plus `…` when cut).
 * @example renderJson({ a: [1, 2] }) // '{"a":[1,2]}'
 * @example renderJson('x'.repeat(500), 10) // '"xxxxxxxxx…'
 */
export function renderJson(v: unknown, max = RENDER_MAX): string {
  const w = new Writer(max);
  write(w, v);
  return w.cut || w.out.length > max ? w.out.slice(0, max) + ELLIPSIS : w.out;
}

/**
 * Cuts plain text to `max` characters (plus `…`), for lines and header values.
 * @example clip('abcdef', 3) // 'abc…'
 */
export function clip(s: string, max = RENDER_MAX): string {
  return s.length > max ? s.slice(0, max) + ELLIPSIS : s;
}
