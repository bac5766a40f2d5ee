/**
 * Plain data of the guardrails decision engine: what the proxy feeds it (ArmEvent), what it decides
 * (Decision, with the Evidence behind it) and what it persists (RouteState). Everything here is
 * JSON-safe: no Infinity, no typed arrays, no Maps, so the lead can store it in SQLite verbatim.
 */

/** One finished request of a routed (not QA-forced) exchange, as the engine sees it. */
export interface ArmEvent {
  /** Epoch ms when the response ended. */
  at: number;
  /** 'control' or a variant name. */
  arm: string;
  /** 5xx, timeouts, connect errors, plus the route's `badStatuses` (see outcome.ts). */
  bad: boolean;
  /** Slower than `slo.latency.p99` (see outcome.ts); ignored when the route has no latency SLO. */
  slow: boolean;
  /** The sticky key; one key's bad events are capped per minute (`keyCap`). */
  key: string;
  /** This arm's routing share (0..1) of the route when the request was assigned. */
  share: number;
  latencyMs: number;
}

/** Lifecycle of one variant. */
export type Phase = 'idle' | 'progressing' | 'paused' | 'rolled-back' | 'promoted' | 'holding';

export type Action =
  | 'rollback'
  | 'pause'
  | 'alert'
  | 'step'
  | 'hold'
  | 'promote'
  | 'resume'
  | 'reset'
  | 'manual-rollback'
  | 'manual-promote';

/** Manual actions accepted by `engine.manual`. */
export type ManualAction = 'rollback' | 'pause' | 'resume' | 'promote' | 'reset';

/** Cumulative counts for one arm. `capped` bad events were dropped by the per-key cap. */
export interface ArmCounts {
  requests: number;
  bad: number;
  slow: number;
  capped: number;
}

/** One sequential test (bad events or slow events) at the moment of a decision. */
export interface TestEvidence {
  metric: 'bad' | 'slow';
  /** Variant and control event counts since the evidence started. */
  variantEvents: number;
  controlEvents: number;
  /** Rates per (uncapped) request; null without requests. */
  pVariant: number | null;
  pControl: number | null;
  /** pVariant / pControl; null when undefined. */
  rhoHat: number | null;
  /** Fail-fast mixture e-value against H0: ρ ≤ tolerance (since the last acknowledgement). */
  logE: number;
  eValue: number;
  /** 1/α after Bonferroni over variants and metrics; reject when eValue ≥ threshold. */
  threshold: number;
  alpha: number;
  /** ρ < rhoUpper with confidence 1 − α at any time; null = unbounded (too little evidence). */
  rhoUpper: number | null;
  /** Absolute fallback of the pass gate: variant rate proven below `budget` (errors too rare for a ratio). */
  budget: number;
  budgetProven: boolean;
  /** Whether this metric lets the step pass (rhoUpper ≤ tolerance or budgetProven). */
  passes: boolean;
}

/** One multiwindow burn-rate rule evaluated on the variant (and on the control, for comparison). */
export interface BurnEvidence {
  rule: string;
  longMs: number;
  shortMs: number;
  /** Burn-rate threshold (× budget). */
  factor: number;
  /** Error budget, 1 − availability. */
  budget: number;
  /** Burn rates (error ratio / budget); null when the window has no requests. */
  variantLong: number | null;
  variantShort: number | null;
  controlLong: number | null;
  controlShort: number | null;
  /** Bad variant events in the long window (a floor keeps one unlucky request from firing). */
  variantBadLong: number;
  firing: boolean;
  /** Firing, but the control burns as much (within tolerance): the service is failing, not the variant. */
  shared: boolean;
}

/** Everything needed to explain a decision. */
export interface Evidence {
  variant: ArmCounts;
  control: ArmCounts;
  tolerance: number;
  tests: TestEvidence[];
  burn: BurnEvidence[];
  phase: Phase;
  percent: number;
  /** -1 without a rollout. */
  stepIndex: number;
  steps: number[] | null;
  timeAtStepMs: number;
  minBakeMs: number | null;
  maxStepMs: number | null;
  minSamples: number;
  /** Epoch ms when this evidence started (first evaluation, or the last reset/restart after rollback). */
  since: number | null;
  /** Distinct keys with a bad or slow event on the variant (counted up to `minBadKeys`); no breach acts below it. */
  badKeys: number;
  minBadKeys: number;
}

/** One decision, emitted once per state change. */
export interface Decision {
  at: number;
  route: string;
  /** The variant concerned. */
  arm: string;
  action: Action;
  fromPercent: number;
  toPercent: number;
  /** 'sequential-ratio', 'sequential-ratio-slow', 'burn-rate-fast', 'burn-rate-slow', 'burn-rate-shared', 'pass-slow', 'max-step-inconclusive', 'manual'. */
  rule: string;
  /** One human sentence with the numbers. */
  reason: string;
  /** For notifications: error = traffic moved away from a bad variant, warn = needs a human, info = progress. */
  severity: 'info' | 'warn' | 'error';
  actor?: string;
  evidence: Evidence;
}

/** Serialized e-process: log-likelihoods on the ρ grid (see sequential.ts). */
export interface SequentialState {
  ll: number[];
  /** ll when the fail-fast test last restarted (manual resume); null = from the start. */
  base: number[] | null;
  variantEvents: number;
  controlEvents: number;
}

/** Per-variant accumulators; reset by `reset` and by resuming after a rollback. */
export interface EvidenceState {
  since: number | null;
  variant: ArmCounts;
  control: ArmCounts;
  bad: SequentialState;
  /** Present when the route has a latency SLO. */
  slow: SequentialState | null;
  /** Hashes of the first distinct keys with a bad or slow event on the variant (saturates at MIN_BAD_KEYS). */
  badKeys: number[];
}

/** One variant's place in its lifecycle. */
export interface VariantState {
  arm: string;
  phase: Phase;
  /** Index into rollout.steps; -1 without a rollout. */
  stepIndex: number;
  /** null until the first evaluation starts the step clock. */
  stepStartedAt: number | null;
  /** The variant's current weight, 0–100. */
  percent: number;
  /** The breach rule acted on (sequential or variant-only burn); sticky until resume or reset. */
  breach: string | null;
  /** Burn rules firing at the last evaluation (decisions fire on the rising edge only). */
  firing: string[];
  evidence: EvidenceState;
}

/** 1-s buckets of one arm that are still inside the longest window: [second, requests, bad, slow, capped]. */
export interface WindowSnapshot {
  /** The newest second seen; -1 before any traffic. */
  cur: number;
  buckets: [number, number, number, number, number][];
}

/** Per-key bad-event counts of the current minute (keys hashed, never stored in the clear). */
export interface KeyCapSnapshot {
  minute: number;
  counts: [number, number][];
}

/** The whole engine of one route, JSON-serializable. */
export interface RouteState {
  v: 1;
  route: string;
  variants: VariantState[];
  /** Last routing share seen (or set by a decision) per arm. */
  shares: Record<string, number>;
  windows: Record<string, WindowSnapshot>;
  keyCaps: KeyCapSnapshot;
}
