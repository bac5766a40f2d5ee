/**
 * Example bodies with their differing fields marked. Paths in an example are folded field names
 * (`body:$.items[*].price`, id-like keys as `.*`), so the walk folds each concrete node's path the
 * same way compare does (keyPath/indexPath) and marks nodes whose folded path differed. Each side
 * is walked next to the other side's node at the same concrete position: a node that differs there
 * (or is missing there) gets a strong mark; one that matches the folded path but looks equal by
 * position (another element of the array differed, or arrays were aligned by id) a soft one.
 */
import { indexPath, keyPath } from '../compare/json-path.js';
import { esc } from './diffs-page-format.js';

const MISSING = Symbol('missing');
type Node = unknown;

/** A body parsed for display; `json` is MISSING when the text is not JSON. */
function parse(text: string): Node {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return MISSING;
  }
}

function childOf(node: Node, key: string | number): Node {
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

function differs(a: Node, b: Node): boolean {
  return b === MISSING || a === MISSING || canonical(a) !== canonical(b);
}

/** Folded `$…` path → is-noise, for `body:$…` entries; other entries (status, headers, text) are not in bodies. */
function bodyPaths(paths: readonly string[], noise: ReadonlySet<string>): Map<string, boolean> {
  return new Map(paths.filter((p) => p.startsWith('body:$')).map((p) => [p.slice(5), noise.has(p)]));
}

function scalar(v: Node): string {
  const text = esc(JSON.stringify(v) ?? 'null');
  const cls = typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'l';
  return `<span class="j-${cls}">${text}</span>`;
}

type Marks = ReadonlyMap<string, boolean>;

/** Strong (`hl`) where this node differs, soft where only its folded field did; noise fields muted. */
function mark(html: string, path: string, hl: Marks, strong: boolean): string {
  const cls = hl.get(path) ? 'hl-noise' : strong ? 'hl' : 'hl-soft';
  return `<mark class="${cls}" data-path="body:${esc(path)}">${html}</mark>`;
}

function render(v: Node, other: Node, path: string, hl: Marks, indent: string): string {
  const inner = indent + '  ';
  const item = (label: string, child: Node, otherChild: Node, childPath: string) => {
    const body = label + render(child, otherChild, childPath, hl, inner);
    return inner + (hl.has(childPath) ? mark(body, childPath, hl, differs(child, otherChild)) : body);
  };
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const cp = indexPath(path);
    return `[\n${v.map((e, i) => item('', e, childOf(other, i), cp)).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, e]) => item(`<span class="j-k">${esc(JSON.stringify(k))}</span>: `, e, childOf(other, k), keyPath(path, k))).join(',\n')}\n${indent}}`;
  }
  return scalar(v);
}

/**
 * One side of an example as HTML for a `<pre>`: pretty-printed JSON with differing fields marked
 * (fields judged noise, `noise`, in a muted mark), or for text the lines that differ from the other
 * side's line at the same position. The result is escaped: untrusted bodies never become markup.
 * @example highlightBody('{"total":10}', '{"total":11}', ['body:$.total']) // '{\n  <mark class="hl" …>"total": 10</mark>\n}'
 */
export function highlightBody(text: string, otherText: string, paths: readonly string[], noise: ReadonlySet<string> = new Set()): string {
  const v = parse(text);
  if (v === MISSING) return highlightLines(text, otherText);
  const hl = bodyPaths(paths, noise);
  const other = parse(otherText);
  const html = render(v, other, '$', hl, '');
  return hl.has('$') ? mark(html, '$', hl, differs(v, other)) : html;
}

function highlightLines(text: string, otherText: string): string {
  const other = otherText.split('\n');
  return text
    .split('\n')
    .map((line, i) => (line !== other[i] ? `<mark class="hl" data-line="${i + 1}">${esc(line)}</mark>` : esc(line)))
    .join('\n');
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
