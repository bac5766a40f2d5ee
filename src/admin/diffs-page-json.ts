/**
 * Example bodies with their differing fields marked. Paths in an example are folded field names
 * (`body:$.items[*].price`, id-like keys as `.*`), so the walk folds each concrete node's path the
 * same way compare does (keyPath/indexPath) and marks nodes whose folded path differed. Each side
 * is walked next to the other side's node at the same concrete position: a node that differs there
 * (or is missing there) gets a strong mark; one that matches the folded path but looks equal by
 * position (another element of the array differed, or arrays were aligned by id) a soft one.
 */
import { indexPath, keyPath } from '../compare/json-path.js';
import { childOf, differs, MISSING, type Node, parse } from '../compare/report-values.js';
import { html } from './html.js';

/** The terminal's field values live with the report formatting shared by every view. */
export { type FieldValues, fieldValues } from '../compare/report-values.js';

/** Folded `$…` path → is-noise, for `body:$…` entries; other entries (status, headers, text) are not in bodies. */
function bodyPaths(paths: readonly string[], noise: ReadonlySet<string>): Map<string, boolean> {
  return new Map(paths.filter((p) => p.startsWith('body:$')).map((p) => [p.slice(5), noise.has(p)]));
}

function scalar(v: Node): string {
  const cls = typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'l';
  return html`<span class="j-${cls}">${JSON.stringify(v) ?? 'null'}</span>`.toString();
}

type Marks = ReadonlyMap<string, boolean>;

/** Strong (`hl`) where this node differs, soft where only its folded field did; noise fields muted. */
function mark(inner: string, path: string, hl: Marks, strong: boolean): string {
  const cls = hl.get(path) ? 'hl-noise' : strong ? 'hl' : 'hl-soft';
  // `inner` is markup this module built from escaped parts.
  return `${html`<mark class="${cls}" data-path="body:${path}">`}${inner}</mark>`;
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
    return `{\n${entries.map(([k, e]) => item(html`<span class="j-k">${JSON.stringify(k)}</span>: `.toString(), e, childOf(other, k), keyPath(path, k))).join(',\n')}\n${indent}}`;
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
  const body = render(v, other, '$', hl, '');
  return hl.has('$') ? mark(body, '$', hl, differs(v, other)) : body;
}

function highlightLines(text: string, otherText: string): string {
  const other = otherText.split('\n');
  return text
    .split('\n')
    .map((line, i) => (line !== other[i] ? html`<mark class="hl" data-line="${i + 1}">${line}</mark>` : html`${line}`).toString())
    .join('\n');
}
