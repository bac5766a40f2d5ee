/**
 * The replay checkpoint: a small JSON file written atomically (temp file, then rename) after each
 * page of records is replayed, compared and its diff aggregates flushed, so `--resume` continues
 * after the last record whose comparison is stored — never replaying one twice into the same
 * report, never skipping one. The report's aggregates live next to it (`<checkpoint>.db`).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** What a run has done so far. */
export interface Checkpoint {
  readonly route: string;
  readonly to: string;
  /** The segment and --since as given (a resumed run must replay the same selection). */
  readonly selection: string;
  /** Every record up to this id (in the selection) has been replayed and stored. */
  readonly lastId: number;
  readonly replayed: number;
  readonly candidateErrors: number;
  readonly startedAt: string;
  readonly updatedAt: string;
}

/**
 * Reads a checkpoint; undefined when there is none, an error string when it is unreadable.
 * @example readCheckpoint('.fieldlab-replay/checkout.json')
 */
export function readCheckpoint(file: string): Checkpoint | undefined | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : `cannot read checkpoint ${file}: ${(err as Error).message}`;
  }
  try {
    const c = JSON.parse(text) as Checkpoint;
    if (typeof c.lastId !== 'number' || typeof c.route !== 'string' || typeof c.to !== 'string') throw new Error('missing fields');
    return c;
  } catch (err) {
    return `checkpoint ${file} is not a replay checkpoint (${(err as Error).message})`;
  }
}

/**
 * Writes a checkpoint atomically: a crash leaves the old one or the new one, never half a file.
 * @example writeCheckpoint(file, { ...c, lastId: 120 })
 */
export function writeCheckpoint(file: string, c: Checkpoint): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(c, null, 2)}\n`);
  renameSync(tmp, file);
}
