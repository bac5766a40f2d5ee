/**
 * The values of a field in a stored example pair, read from both bodies: what the terminal report
 * prints next to a real field, and the JSON walking (object keys unordered, folded paths) the HTML
 * page's highlighter shares.
 */
import { indexPath, keyPath } from './json-path.js';

/** An absent node (no such key or index), or a body that is not JSON. */
export const MISSING = Symbol('missing');
/** A parsed JSON node. */
export type Node = unknown;

/** A body parsed for display; `json` is MISSING when the text is not JSON. */
export function parse(text: string): Node {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return MISSING;
  }
}

export function childOf(node: Node, key: string | number): Node {
  if (typeof key === 'number') return Array.isArray(node) && key < node.length ? node[key] : MISSING;
  return node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, key)
    ? (node as Record<string, unknown>)[key]
    : MISSING;
}

/** JSON with object keys sorted: object key order never counts as a difference in compare. */
function canonical(v: Node): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function differs(a: Node, b: Node): boolean {
  return b === MISSING || a === MISSING || canonical(a) !== canonical(b);
}

/** Both sides' values of one field in one example, compact, for the terminal. */
export interface FieldValues {
  readonly primary: string;
  readonly candidate: string;
}

function compact(v: Node, max = 120): string {
  if (v === MISSING) return '(absent)';
  const s = JSON.stringify(v) ?? 'null';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** First concrete node of `a` whose folded path is `want` and that differs from `b` there. */
function firstDiff(a: Node, b: Node, path: string, want: string): [Node, Node] | undefined {
  if (path === want) return differs(a, b) ? [a, b] : undefined;
  if (Array.isArray(a)) {
    const cp = indexPath(path);
    for (let i = 0; i < a.length; i++) {
      const hit = firstDiff(a[i], childOf(b, i), cp, want);
      if (hit) return hit;
    }
  } else if (a !== null && typeof a === 'object') {
    for (const [k, e] of Object.entries(a)) {
      const hit = firstDiff(e, childOf(b, k), keyPath(path, k), want);
      if (hit) return hit;
    }
  }
  return undefined;
}

/**
 * The values of `field` on both sides of an example (the first place they differ), or undefined
 * when the bodies do not hold it (headers are not stored in examples).
 * @example fieldValues({ primaryBody: '{"total":10}', candidateBody: '{"total":11}', primaryStatus: 200, candidateStatus: 200 }, 'body:$.total') // { primary: '10', candidate: '11' }
 */
export function fieldValues(
  ex: { readonly primaryBody: string; readonly candidateBody: string; readonly primaryStatus: number; readonly candidateStatus: number },
  field: string,
): FieldValues | undefined {
  if (field === 'status') return { primary: String(ex.primaryStatus), candidate: String(ex.candidateStatus) };
  const a = parse(ex.primaryBody);
  const b = parse(ex.candidateBody);
  if (field.startsWith('body:$') && a !== MISSING && b !== MISSING) {
    const want = field.slice(5);
    const hit = firstDiff(a, b, '$', want);
    if (hit) return { primary: compact(hit[0]), candidate: compact(hit[1]) };
    // Only on the shadow side (an added field): walk the shadow against the primary.
    const added = firstDiff(b, a, '$', want);
    return added ? { primary: compact(added[1]), candidate: compact(added[0]) } : undefined;
  }
  if (field === 'body:text' || (a === MISSING && b === MISSING && field.startsWith('body:'))) {
    const pl = ex.primaryBody.split('\n');
    const cl = ex.candidateBody.split('\n');
    for (let i = 0; i < Math.max(pl.length, cl.length); i++) {
      if (pl[i] !== cl[i]) return { primary: compact(pl[i] ?? MISSING), candidate: compact(cl[i] ?? MISSING) };
    }
  }
  return undefined;
}
