/**
 * The SQLite GuardrailStore, on the same database file as the shadow diffs.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { decodeHistogram, encodeHistogram, addHistograms } from './histogram-codec.js';
import type { GuardrailStore, MinuteRow } from './guardrail-types.js';
import type { Sync } from './sync.js';

interface DecisionDbRow {
  at: number;
  route: string;
  arm: string;
  action: string;
  from_percent: number;
  to_percent: number;
  rule: string;
  reason: string;
  evidence: string;
  actor: string | null;
}

interface MinuteDbRow {
  minute: number;
  route: string;
  arm: string;
  requests: number;
  bad: number;
  slow: number;
  latency: string;
}

/**
 * Creates the guardrails repository over an open, migrated database.
 * @example const g = createSqliteGuardrailStore(openDatabase('data/fieldlab.db'))
 */
export function createSqliteGuardrailStore(db: BetterSqlite3.Database): Sync<GuardrailStore> {
  const upsertState = db.prepare(
    'INSERT INTO guardrail_state (route, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(route) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
  );
  const allStates = db.prepare<[], { route: string; state: string }>('SELECT route, state FROM guardrail_state');
  const deleteState = db.prepare('DELETE FROM guardrail_state WHERE route = ?');
  const insertDecision = db.prepare(
    'INSERT INTO decisions (at, route, arm, action, from_percent, to_percent, rule, reason, evidence, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const selectMinute = db.prepare<[number, string, string], MinuteDbRow>(
    'SELECT * FROM arm_minutes WHERE minute = ? AND route = ? AND arm = ?',
  );
  const upsertMinute = db.prepare(
    `INSERT INTO arm_minutes (minute, route, arm, requests, bad, slow, latency) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(minute, route, arm) DO UPDATE SET requests = requests + excluded.requests, bad = bad + excluded.bad,
       slow = slow + excluded.slow, latency = excluded.latency`,
  );
  const writeMinutes = db.transaction((rows: readonly MinuteRow[]) => {
    for (const r of rows) {
      const prev = selectMinute.get(r.minute, r.route, r.arm);
      const latency = prev ? addHistograms(decodeHistogram(prev.latency), r.latency) : [...r.latency];
      upsertMinute.run(r.minute, r.route, r.arm, r.requests, r.bad, r.slow, encodeHistogram(latency));
    }
  });
  const insertSeed = db.prepare('INSERT INTO route_seeds (route, seed, created_at) VALUES (?, ?, ?) ON CONFLICT(route) DO NOTHING');
  const selectSeed = db.prepare<[string], string>('SELECT seed FROM route_seeds WHERE route = ?').pluck();
  const claimSeeds = db.transaction((proposals: Readonly<Record<string, string>>, at: number) => {
    const out: Record<string, string> = {};
    for (const [route, seed] of Object.entries(proposals)) {
      insertSeed.run(route, seed, at);
      out[route] = selectSeed.get(route)!;
    }
    return out;
  });
  const pruneMinutes = db.prepare('DELETE FROM arm_minutes WHERE minute < ?');
  const pruneDecisions = db.prepare('DELETE FROM decisions WHERE at < ?');

  return {
    saveState: (route, state, at) => void upsertState.run(route, JSON.stringify(state), at),
    loadStates: () => new Map(allStates.all().map((r) => [r.route, JSON.parse(r.state) as unknown])),
    deleteState: (route) => void deleteState.run(route),
    appendDecision: (d) =>
      void insertDecision.run(
        d.at,
        d.route,
        d.arm,
        d.action,
        d.fromPercent,
        d.toPercent,
        d.rule,
        d.reason,
        JSON.stringify(d.evidence ?? null),
        d.actor ?? null,
      ),
    decisions({ route, since, limit }) {
      const where = [route !== undefined ? 'route = @route' : '', since !== undefined ? 'at >= @since' : ''].filter(Boolean);
      const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT @limit`;
      return db
        .prepare<Record<string, unknown>, DecisionDbRow>(sql)
        .all({ route, since, limit: Math.max(1, Math.min(Math.floor(limit ?? 100) || 100, 10_000)) })
        .map((r) => ({
          at: r.at,
          route: r.route,
          arm: r.arm,
          action: r.action,
          fromPercent: r.from_percent,
          toPercent: r.to_percent,
          rule: r.rule,
          reason: r.reason,
          evidence: JSON.parse(r.evidence) as unknown,
          ...(r.actor ? { actor: r.actor } : {}),
        }));
    },
    writeMinutes: (rows) => writeMinutes.immediate(rows),
    minutes({ route, arm, since, until }) {
      const where = [
        route !== undefined ? 'route = @route' : '',
        arm !== undefined ? 'arm = @arm' : '',
        since !== undefined ? 'minute >= @since' : '',
        until !== undefined ? 'minute <= @until' : '',
      ].filter(Boolean);
      const sql = `SELECT * FROM arm_minutes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY minute, route, arm`;
      return db
        .prepare<Record<string, unknown>, MinuteDbRow>(sql)
        .all({ route, arm, since, until })
        .map((r) => ({
          minute: r.minute,
          route: r.route,
          arm: r.arm,
          requests: r.requests,
          bad: r.bad,
          slow: r.slow,
          latency: decodeHistogram(r.latency),
        }));
    },
    prune: (before) => pruneMinutes.run(before).changes + pruneDecisions.run(before).changes,
    claimSeeds: (proposals, at) => claimSeeds.immediate(proposals, at),
  };
}
