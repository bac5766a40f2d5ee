/**
 * Response header comparison, field `header:NAME`, kinds added / removed / value. Volatile,
 * per-connection (RFC 9110 §7.6.1 hop-by-hop) and body-derived fields are ignored by default —
 * Diffy's all-or-nothing header switch was a standing complaint (diffy#33). Set-Cookie is
 * compared by cookie names only: values are sessions and nonces, but a cookie that stopped being
 * set is a real change.
 */
import { clip } from './render.js';
import type { FieldDiff } from './types.js';

/** Always ignored (rules can only add); names ending in `*` are prefixes. Set-Cookie is special-cased, not ignored. */
export const DEFAULT_IGNORED_HEADERS: readonly string[] = [
  'date',
  'x-request-id',
  'request-id',
  'x-amzn-trace-id',
  'traceparent',
  'tracestate',
  'server',
  'age',
  'expires',
  'last-modified',
  'etag',
  'content-length', // the body comparison covers it (and it differs whenever encodings do)
  'transfer-encoding',
  'connection',
  'keep-alive',
  'via',
  'x-fieldlab-*',
];

/** Result of {@link diffHeaders}. */
export interface HeadersDiff {
  readonly fields: FieldDiff[];
  /** `header:NAME` for every header present on either side and not ignored. */
  readonly compared: string[];
}

type Headers = Readonly<Record<string, string | readonly string[]>>;

interface Ignore {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

const cache = new WeakMap<readonly string[], Ignore>();

function compile(extra: readonly string[]): Ignore {
  const hit = cache.get(extra);
  if (hit) return hit;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of [...DEFAULT_IGNORED_HEADERS, ...extra]) {
    const name = (raw.startsWith('header:') ? raw.slice(7) : raw).trim().toLowerCase();
    if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
    else if (name !== '') exact.add(name);
  }
  const out = { exact, prefixes };
  cache.set(extra, out);
  return out;
}

function ignored(ig: Ignore, name: string): boolean {
  return ig.exact.has(name) || ig.prefixes.some((p) => name.startsWith(p));
}

/** Cookie names of Set-Cookie fields, sorted and deduplicated. */
function cookieNames(v: string | readonly string[]): string {
  const names = new Set<string>();
  for (const c of typeof v === 'string' ? [v] : v) {
    const eq = c.indexOf('=');
    const name = (eq < 0 ? c : c.slice(0, eq)).trim();
    if (name !== '') names.add(name);
  }
  return [...names].sort().join(', ');
}

function normalized(name: string, v: string | readonly string[]): string {
  if (name === 'set-cookie') return cookieNames(v);
  return typeof v === 'string' ? v.trim() : v.map((x) => x.trim()).join(', ');
}

function lower(h: Headers): Map<string, string | readonly string[]> {
  const m = new Map<string, string | readonly string[]>();
  for (const k in h) if (Object.hasOwn(h, k)) m.set(k.toLowerCase(), h[k]!);
  return m;
}

/**
 * Compares response headers. `ignore` adds names (or `prefix-*`) to the defaults.
 * @example diffHeaders({ 'cache-control': 'no-store', date: 'x' }, { 'cache-control': 'max-age=60', date: 'y' })
 * // fields: [{ field: 'header:cache-control', kind: 'value', primary: '"no-store"', candidate: '"max-age=60"' }]
 */
export function diffHeaders(primary: Headers, candidate: Headers, ignore: readonly string[] = []): HeadersDiff {
  const ig = compile(ignore);
  const a = lower(primary);
  const b = lower(candidate);
  const fields: FieldDiff[] = [];
  const compared: string[] = [];
  const render = (name: string, v: string | readonly string[]): string => JSON.stringify(clip(normalized(name, v)));
  for (const [name, va] of a) {
    if (ignored(ig, name)) continue;
    const field = `header:${name}`;
    compared.push(field);
    const vb = b.get(name);
    if (vb === undefined) fields.push({ field, kind: 'removed', primary: render(name, va) });
    else if (normalized(name, va) !== normalized(name, vb))
      fields.push({ field, kind: 'value', primary: render(name, va), candidate: render(name, vb) });
  }
  for (const [name, vb] of b) {
    if (a.has(name) || ignored(ig, name)) continue;
    const field = `header:${name}`;
    compared.push(field);
    fields.push({ field, kind: 'added', candidate: render(name, vb) });
  }
  return { fields, compared };
}
