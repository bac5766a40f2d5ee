/**
 * Text body comparison: cheap by design (no LCS). Equal bodies cost one memcmp; otherwise the
 * report is the length change and the first differing line of each side — enough to recognise a
 * changed template, a new error page or an encoding change from examples.
 */
import { clip } from './render.js';
import type { FieldDiff } from './types.js';

const LF = 0x0a;
/** Characters of each differing line kept in the example. */
const LINE_MAX = 160;

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function lineAt(buf: Buffer, start: number): string {
  const end = buf.indexOf(LF, start);
  const line = buf.toString('utf8', start, end < 0 ? buf.length : end);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Diffs two text bodies as field `body:text`: `length` when `lengths` (byte lengths to compare,
 * omitted when unknowable, e.g. truncated captures) differ, and `content` with the first differing
 * line, numbered from 1, when the bytes differ.
 * @example diffText(Buffer.from('a\nb\n'), Buffer.from('a\nc\n'), [4, 4])
 * // [{ field: 'body:text', kind: 'content', primary: '"L2: b"', candidate: '"L2: c"' }]
 */
export function diffText(primary: Buffer, candidate: Buffer, lengths?: readonly [number, number]): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (lengths !== undefined && lengths[0] !== lengths[1]) {
    out.push({ field: 'body:text', kind: 'length', primary: String(lengths[0]), candidate: String(lengths[1]) });
  }
  if (primary.equals(candidate)) return out;
  const at = firstDifference(primary, candidate);
  const start = at === 0 ? 0 : primary.lastIndexOf(LF, at - 1) + 1;
  let line = 1;
  for (let i = primary.indexOf(LF); i >= 0 && i < start; i = primary.indexOf(LF, i + 1)) line++;
  const render = (buf: Buffer): string => JSON.stringify(`L${line}: ${clip(lineAt(buf, start), LINE_MAX)}`);
  out.push({ field: 'body:text', kind: 'content', primary: render(primary), candidate: render(candidate) });
  return out;
}
