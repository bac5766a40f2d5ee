/**
 * Storage for guardrails: the engine's state per route (so a rolled-back variant stays rolled back
 * and a rollout resumes at its step with its evidence after a restart), the decision log with the
 * numbers behind each decision, and per-minute rollups of every arm (the data-warehouse view).
 */

/** One stored decision. `evidence` is the engine's JSON, kept verbatim. */
export interface DecisionRecord {
  readonly at: number;
  readonly route: string;
  readonly arm: string;
  readonly action: string;
  readonly fromPercent: number;
  readonly toPercent: number;
  readonly rule: string;
  readonly reason: string;
  readonly evidence: unknown;
  /** Who made a manual decision ("admin-api", a user name); undefined for the engine. */
  readonly actor?: string | undefined;
}

/** One arm's traffic in one minute. */
export interface MinuteRow {
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly route: string;
  readonly arm: string;
  readonly requests: number;
  readonly bad: number;
  readonly slow: number;
  /** Latency histogram over LATENCY_BOUNDS (stats/histogram.ts). */
  readonly latency: readonly number[];
}

/** Decision log filter; `limit` defaults to 100 and is clamped to 1..10,000. */
export interface DecisionFilter {
  readonly route?: string;
  readonly since?: number;
  readonly limit?: number;
}

/** Minute rollup filter (inclusive bounds on the minute start). */
export interface MinuteFilter {
  readonly route?: string;
  readonly arm?: string;
  readonly since?: number;
  readonly until?: number;
}

/**
 * The guardrails repository: asynchronous and backend-neutral, called from timers and admin
 * requests, never per proxied request. Every backend passes test/unit/storage/guardrail-contract.ts.
 * @example
 * await store.saveState('checkout', engine.state(), Date.now());
 * const states = await store.loadStates(); // before serving
 */
export interface GuardrailStore {
  /** Replaces the route's state (last write wins). */
  saveState(route: string, state: unknown, at: number): Promise<void>;
  /** Every saved state by route. */
  loadStates(): Promise<Map<string, unknown>>;
  deleteState(route: string): Promise<void>;
  appendDecision(d: DecisionRecord): Promise<void>;
  /** Newest first (ties: the later appended first). */
  decisions(filter: DecisionFilter): Promise<DecisionRecord[]>;
  /** Adds counts into existing minute rows (merging histograms element-wise). */
  writeMinutes(rows: readonly MinuteRow[]): Promise<void>;
  /** Oldest first, then by route and arm. */
  minutes(filter: MinuteFilter): Promise<MinuteRow[]>;
  /** Deletes minutes and decisions older than `before`; resolves to rows deleted. */
  prune(before: number): Promise<number>;
  /**
   * Route hash seeds (routing/seeds.ts): stores each proposed seed whose route has none yet (insert
   * if absent, atomically, so replicas starting together agree: the first writer wins) and resolves
   * to the stored seed of every proposed route. Seeds are never pruned.
   */
  claimSeeds(proposals: Readonly<Record<string, string>>, at: number): Promise<Record<string, string>>;
}
