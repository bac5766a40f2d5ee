/**
 * Redaction for stored examples: values at configured JSON paths become "[redacted]" before a body
 * is written to disk, so reports can be shared without leaking tokens or personal data.
 */
import { parseJsonPath, type PathSegment } from './json-path.js';

export const REDACTED = '[redacted]';

/**
 * Returns `json` with every value matching a `body:$…` rule replaced (header rules are ignored
 * here: examples store bodies only).
 * @example redactJson({ user: { email: 'a@b' } }, ['body:$.user.email']) // { user: { email: '[redacted]' } }
 */
export function redactJson(json: unknown, rules: readonly string[]): unknown {
  const paths = rules
    .filter((r) => r.startsWith('body:'))
    .map(parseJsonPath)
    .filter((p): p is PathSegment[] => p !== undefined);
  return paths.length === 0 ? json : walk(json, paths);
}

function walk(node: unknown, paths: PathSegment[][]): unknown {
  if (paths.some((p) => p.length === 0)) return REDACTED;
  if (Array.isArray(node))
    return node.map((v, i) =>
      walk(
        v,
        step(paths, (s) => 'any' in s || ('index' in s && s.index === i)),
      ),
    );
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node))
      out[k] = walk(
        v,
        step(paths, (s) => 'any' in s || ('key' in s && s.key === k)),
      );
    return out;
  }
  return node;
}

function step(paths: PathSegment[][], matches: (s: PathSegment) => boolean): PathSegment[][] {
  return paths.filter((p) => matches(p[0]!)).map((p) => p.slice(1));
}
