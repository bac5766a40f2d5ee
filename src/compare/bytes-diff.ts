/**
 * Binary body comparison: length and SHA-256 digest, nothing positional (a byte offset means
 * little in an image or a protobuf). Digests are only computed when the bytes differ, for the
 * example renderings.
 */
import { createHash } from 'node:crypto';
import type { FieldDiff } from './types.js';

function digest(b: Buffer): string {
  return JSON.stringify(`sha256:${createHash('sha256').update(b).digest('hex').slice(0, 16)}`);
}

/**
 * Diffs two binary bodies as field `body:bytes`: `length` when `lengths` (omitted when unknowable)
 * differ, `content` when the bytes (i.e. their SHA-256 digests) differ.
 * @example diffBytes(Buffer.from([1, 2]), Buffer.from([1, 3]), [2, 2])
 * // [{ field: 'body:bytes', kind: 'content', primary: '"sha256:…"', candidate: '"sha256:…"' }]
 */
export function diffBytes(primary: Buffer, candidate: Buffer, lengths?: readonly [number, number]): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (lengths !== undefined && lengths[0] !== lengths[1]) {
    out.push({ field: 'body:bytes', kind: 'length', primary: String(lengths[0]), candidate: String(lengths[1]) });
  }
  if (!primary.equals(candidate))
    out.push({ field: 'body:bytes', kind: 'content', primary: digest(primary), candidate: digest(candidate) });
  return out;
}
