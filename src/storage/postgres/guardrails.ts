/**
 * The PostgreSQL GuardrailStore: engine state per route, the decision log and per-minute arm
 * rollups, shared by every replica. Minute rows of several replicas add up in SQL (histograms
 * element-wise), so the rollups are fleet-wide whichever replica reads them.
 */
import type { DecisionRecord, MinuteRow } from '../guardrail-types.js';
import { sumBy } from './diffs-write.js';
import type { PgDatabase } from './pool.js';

/**
 * The repository on a migrated database.
 * @example const g = createPgGuardrailStore(db); await g.saveState('checkout', state, Date.now())
 */
export function createPgGuardrailStore(db: PgDatabase) {
  const [state, decisions, minutes] = [db.t('guardrail_state'), db.t('decisions'), db.t('arm_minutes')];
  return {
    async saveState(route: string, value: unknown, at: number): Promise<void> {
      await db.query(
        `INSERT INTO ${state} (route, state, updated_at) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (route) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        [route, JSON.stringify(value), at],
      );
    },
    async loadStates(): Promise<Map<string, unknown>> {
      const rows = await db.query<{ route: string; state: unknown }>(`SELECT route, state FROM ${state}`);
      return new Map(rows.map((r) => [r.route, r.state]));
    },
    async deleteState(route: string): Promise<void> {
      await db.query(`DELETE FROM ${state} WHERE route = $1`, [route]);
    },
    async appendDecision(d: DecisionRecord): Promise<void> {
      await db.query(
        `INSERT INTO ${decisions} (at, route, arm, action, from_percent, to_percent, rule, reason, evidence, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)`,
        [d.at, d.route, d.arm, d.action, d.fromPercent, d.toPercent, d.rule, d.reason, JSON.stringify(d.evidence ?? null), d.actor ?? null],
      );
    },
    async decisions(filter: { route?: string; since?: number; limit?: number }): Promise<DecisionRecord[]> {
      const limit = Math.max(1, Math.min(Math.floor(filter.limit ?? 100) || 100, 10_000));
      const rows = await db.query<DecisionRecord & { actor: string | null }>(
        `SELECT at, route, arm, action, from_percent AS "fromPercent", to_percent AS "toPercent", rule, reason, evidence, actor
         FROM ${decisions} WHERE ($1::text IS NULL OR route = $1) AND ($2::bigint IS NULL OR at >= $2)
         ORDER BY at DESC, id DESC LIMIT $3`,
        [filter.route ?? null, filter.since ?? null, limit],
      );
      return rows.map(({ actor, ...r }) => (actor ? { ...r, actor } : r));
    },
    async writeMinutes(rows: readonly MinuteRow[]): Promise<void> {
      if (rows.length === 0) return;
      const merged = sumBy(rows, ['minute', 'route', 'arm'], ['requests', 'bad', 'slow', 'latency']);
      await db.query(
        `INSERT INTO ${minutes} AS m (minute, route, arm, requests, bad, slow, latency)
         SELECT minute, route, arm, requests, bad, slow, ARRAY(SELECT jsonb_array_elements_text(r.latency)::bigint)
         FROM jsonb_to_recordset($1::jsonb) AS r(minute bigint, route text, arm text, requests bigint, bad bigint, slow bigint, latency jsonb)
         ON CONFLICT (minute, route, arm) DO UPDATE SET requests = m.requests + excluded.requests, bad = m.bad + excluded.bad,
           slow = m.slow + excluded.slow,
           latency = (SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}')
                      FROM unnest(m.latency, excluded.latency) WITH ORDINALITY AS u(x, y, i))`,
        [JSON.stringify(merged)],
      );
    },
    async minutes(filter: { route?: string; arm?: string; since?: number; until?: number }): Promise<MinuteRow[]> {
      const rows = await db.query<Omit<MinuteRow, 'latency'> & { latency: readonly string[] }>(
        `SELECT minute, route, arm, requests, bad, slow, latency FROM ${minutes}
         WHERE ($1::text IS NULL OR route = $1) AND ($2::text IS NULL OR arm = $2)
           AND ($3::bigint IS NULL OR minute >= $3) AND ($4::bigint IS NULL OR minute <= $4)
         ORDER BY minute, route, arm`,
        [filter.route ?? null, filter.arm ?? null, filter.since ?? null, filter.until ?? null],
      );
      return rows.map((r) => ({ ...r, latency: r.latency.map(Number) }));
    },
    async claimSeeds(proposals: Readonly<Record<string, string>>, at: number): Promise<Record<string, string>> {
      const routes = Object.keys(proposals);
      if (routes.length === 0) return {};
      const seeds = db.t('route_seeds');
      // Insert the missing ones, then read every proposed route's stored seed (the winner's, when
      // replicas race: the insert waits for a concurrent one on the same key, then does nothing).
      return db.tx(async (q) => {
        await q(
          `INSERT INTO ${seeds} (route, seed, created_at) SELECT key, value, $2 FROM jsonb_each_text($1::jsonb) ON CONFLICT (route) DO NOTHING`,
          [JSON.stringify(proposals), at],
        );
        const rows = await q<{ route: string; seed: string }>(`SELECT route, seed FROM ${seeds} WHERE route = ANY($1::text[])`, [routes]);
        return Object.fromEntries(rows.map((r) => [r.route, r.seed]));
      });
    },
    prune: (before: number): Promise<number> =>
      db.tx(async (q) => {
        const gone = async (t: string, col: string) =>
          (await q<{ n: number }>(`WITH g AS (DELETE FROM ${t} WHERE ${col} < $1 RETURNING 1) SELECT count(*) AS n FROM g`, [before]))[0]!
            .n;
        return (await gone(minutes, 'minute')) + (await gone(decisions, 'at'));
      }),
  };
}
