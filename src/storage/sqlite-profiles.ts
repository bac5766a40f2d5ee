/**
 * Arm profiles in SQLite (table arm_profiles, migration 8): added per batch inside the batch's
 * transaction (read-merge-write for the latency histogram, as for diff_latency), read summed per
 * arm and operation, pruned by minute.
 */
import type Database from 'better-sqlite3';
import { decodeHistogram, encodeHistogram } from './histogram-codec.js';
import { addProfileRow, emptyProfileRow, mergeProfileRows, type ProfileRow } from './profile-rows.js';

/** A stored row as SQLite returns it: the latency histogram is still its JSON text. */
type Stored = Omit<ProfileRow, 'latency'> & { latency: string };

const COLS = `minute, route, arm, op, requests, missing, calls, errors, sum_sq AS sumSq, total_ms AS totalMs, latency`;

/**
 * Prepares the statements once.
 * @example const p = createSqliteProfiles(db); p.write(batch.profiles ?? []); p.read('checkout', 0)
 */
export function createSqliteProfiles(db: Database.Database) {
  const get = db.prepare<[number, string, string, string], Stored>(
    `SELECT ${COLS} FROM arm_profiles WHERE minute = ? AND route = ? AND arm = ? AND op = ?`,
  );
  const put = db.prepare(
    `INSERT OR REPLACE INTO arm_profiles (minute, route, arm, op, requests, missing, calls, errors, sum_sq, total_ms, latency)
     VALUES (@minute, @route, @arm, @op, @requests, @missing, @calls, @errors, @sumSq, @totalMs, @latency)`,
  );
  const select = db.prepare<[string, number], Stored>(`SELECT ${COLS} FROM arm_profiles WHERE route = ? AND minute >= ?`);
  const prune = db.prepare<[number]>('DELETE FROM arm_profiles WHERE minute < ?');
  const decode = (s: Stored): ProfileRow => ({
    ...s,
    latency: decodeHistogram(s.latency),
  });
  return {
    /** Call inside the batch's transaction: duplicate keys within one batch add up too. */
    write(rows: readonly ProfileRow[]): void {
      for (const r of rows) {
        const old = get.get(r.minute, r.route, r.arm, r.op);
        const sum = addProfileRow(old ? decode(old) : emptyProfileRow(r.minute, r.route, r.arm, r.op), r);
        put.run({ ...sum, latency: encodeHistogram(sum.latency) });
      }
    },
    read: (route: string, since: number): ProfileRow[] => mergeProfileRows(select.all(route, since).map(decode)),
    prune: (before: number): number => prune.run(before).changes,
  };
}
