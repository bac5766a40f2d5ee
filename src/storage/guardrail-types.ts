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

/** The guardrails repository. Called from timers, never per request. */
export interface GuardrailStore {
  saveState(route: string, state: unknown, at: number): void;
  /** Every saved state by route. */
  loadStates(): Map<string, unknown>;
  deleteState(route: string): void;
  appendDecision(d: DecisionRecord): void;
  /** Newest first. */
  decisions(filter: { route?: string; since?: number; limit?: number }): DecisionRecord[];
  /** Adds counts into existing minute rows (merging histograms). */
  writeMinutes(rows: readonly MinuteRow[]): void;
  /** Oldest first. */
  minutes(filter: { route?: string; arm?: string; since?: number; until?: number }): MinuteRow[];
  /** Deletes minutes and decisions older than `before`; returns rows deleted. */
  prune(before: number): number;
}
