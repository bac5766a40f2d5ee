/**
 * Finds where in the YAML source a config path lives, so every config error can point at a line and
 * column. Paths come from zod issues and may name things the user never wrote (defaults, or the
 * normalized `endpoints` of a string upstream); those resolve to the deepest node that does exist.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** One step of a config path: a map key or a list index. */
export type PathSegment = string | number;

/** A 1-based source position. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

/**
 * The text of a map key as the schema sees it (`1:` and `"1":` are both "1").
 * @example keyText(doc.createNode('port')) // 'port'
 */
export function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * Finds the source node for `path`, skipping segments the document doesn't have and returning the
 * deepest node reached. With `want: 'key'` and a last segment naming an existing map key, the key's
 * own node is returned (unknown keys and bad record names are reported at the key, not its value).
 * @example findNode(doc, ['routes', 0, 'arms', 'control'])?.range?.[0] // offset of the upstream name
 */
export function findNode(doc: Document, path: readonly PathSegment[], want: 'key' | 'value' = 'value'): Node | undefined {
  let current = resolve(doc, doc.contents);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (isMap(current)) {
      const pair = current.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) continue;
      const keyNode = resolve(doc, pair.key);
      if (want === 'key' && i === path.length - 1 && hasRange(keyNode)) return keyNode;
      // `key:` with nothing after it has a null value node; `? key` alone may have none at all.
      const value = resolve(doc, pair.value);
      current = hasRange(value) ? value : hasRange(keyNode) ? keyNode : current;
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = resolve(doc, current.items[segment]);
      if (hasRange(item)) current = item;
    }
  }
  return current;
}

/**
 * The 1-based line and column where `node` starts; the top of the file when there is no node.
 * @example positionOf(findNode(doc, ['listen']), lineCounter) // { line: 1, col: 9 }
 */
export function positionOf(node: Node | undefined, lineCounter: LineCounter): SourcePosition {
  const offset = node?.range?.[0] ?? 0;
  return lineCounter.linePos(offset);
}

/**
 * Renders a path the way users read it: `routes[0].split.variant`, `upstreams["svc.v1"]`, '' for the root.
 * @example formatPath(['routes', 0, 'arms', 'control']) // 'routes[0].arms.control'
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function resolve(doc: Document, node: unknown): Node | undefined {
  // Follow `*alias` to its anchor so paths through aliases still land on real source.
  if (isAlias(node)) return node.resolve(doc) ?? node;
  return isNode(node) ? node : undefined;
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value) || isAlias(value);
}

function hasRange(node: Node | undefined): node is Node {
  return node?.range !== undefined && node.range !== null;
}
