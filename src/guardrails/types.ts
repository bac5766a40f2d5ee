/**
 * Plain data of the guardrails decision engine: what it decides (Decision, with the Evidence behind
 * it) and what it persists (RouteState). Everything here is JSON-safe: no Infinity, no typed arrays,
 * no Maps, so a store can keep it verbatim. What it consumes is ArmSecond (arm-second.ts).
 */

import type { ArmSecond } from './arm-second.js';

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
  | 'replan'
  | 'release'
  | 'manual-rollback'
  | 'manual-promote';

/** Manual actions accepted by `engine.manual`. */
export type ManualAction = 'rollback' | 'pause' | 'resume' | 'promote' | 'reset';

/** Who asked for a manual action, and why. */
export interface ManualOptions {
  arm?: string | undefined;
  actor?: string | undefined;
  /** The operator's reason, stored and sent with the decision. */
  note?: string | undefined;
  /** Needed to promote or resume a variant whose evidence currently breaches. */
  force?: boolean | undefined;
}

/** Counts of one arm over a span (a step, or the whole evidence): ArmSecond's counts summed. */
export type ArmTotals = Omit<ArmSecond, 'latency' | 'units'>;

/** The bad-event (or slow-event) ratio test of one variant. */
export interface RatioEvidence {
  metric: 'bad' | 'slow';
  /** Observations (one per unit per second) since the evidence started, variant and control. */
  variantObs: number;
  controlObs: number;
  /** Observation rates per evidence request; null without requests. */
  pVariant: number | null;
  pControl: number | null;
  rhoHat: number | null;
  tolerance: number;
  /** ln e-value against ρ ≤ tolerance, with the largest single unit's/client's observations taken away. */
  logE: number;
  /** The same without taking anything away (for comparison). */
  logEAll: number;
  /** Observations taken away (the most one unit or one client gave). */
  setAside: number;
  /** Reject when logE ≥ logThreshold = ln(1/alpha). */
  logThreshold: number;
  alpha: number;
  rejects: boolean;
  /** Anytime-valid upper bound on ρ from the current step alone; null = unbounded. */
  stepUpper: number | null;
}

/** The latency SLO of one variant: p99 above the threshold AND slower than control. */
export interface LatencyEvidence {
  thresholdMs: number;
  /** p99 of upstream time from the step's histograms (≈ 10 % bins); null without requests. */
  variantP99Ms: number | null;
  controlP99Ms: number | null;
  /** Share of variant evidence requests over the threshold (p99 ≤ threshold ⇔ share ≤ 1 %). */
  variantSlowShare: number | null;
  /** ln e-value against "variant slow share ≤ 1 %" (p99 ≤ threshold). */
  p99LogE: number;
  logThreshold: number;
  p99Above: boolean;
  /** The ratio test on slow observations (variant worse than control). */
  ratio: RatioEvidence;
  rejects: boolean;
  /** p99 proven ≤ threshold in the current step (slow share < 1 %). */
  p99ProvenBelow: boolean;
}

/** One service-wide burn-rate rule, on both arms pooled. */
export interface BurnEvidence {
  rule: string;
  longMs: number;
  shortMs: number;
  factor: number;
  /** Error budget, 1 − availability. */
  budget: number;
  /** Burn rates (observation rate / budget); null when the window has no requests. */
  pooledLong: number | null;
  pooledShort: number | null;
  variantLong: number | null;
  controlLong: number | null;
  /** The long window holds a full window of evidence (evidence older than longMs). */
  windowFull: boolean;
  /** ln of the e-detector against "pooled rate ≤ factor × budget", and the threshold it must reach. */
  detectorLogE: number;
  detectorLogThreshold: number;
  /** How long evidence has been gathered (windowFull once it reaches longMs). */
  evidenceMs: number;
  /** All three: window full, both windows ≥ factor, detector over its threshold. */
  firing: boolean;
  /** When not firing, each condition that holds it back, with its numbers (empty when firing). */
  heldBack: string[];
}

/** What the variant's step is waiting for (or why it cannot pass), one item per condition. */
export interface WaitItem {
  what: 'bake' | 'samples' | 'bad-ratio' | 'latency' | 'breach' | 'paused';
  have: number | null;
  need: number | null;
  done: boolean;
  says: string;
}

/** Everything needed to explain a decision. */
export interface Evidence {
  /** insufficient-evidence | within-tolerance | breaching (what the numbers say now). */
  verdict: 'insufficient-evidence' | 'within-tolerance' | 'breaching';
  phase: Phase;
  percent: number;
  /** -1 without a rollout. */
  stepIndex: number;
  steps: number[] | null;
  timeAtStepMs: number;
  minBakeMs: number | null;
  maxStepMs: number | null;
  minSamples: number;
  /** Epoch ms when this evidence started and when the current step started. */
  since: number | null;
  stepSince: number | null;
  variant: ArmTotals;
  control: ArmTotals;
  stepVariant: ArmTotals;
  stepControl: ArmTotals;
  bad: RatioEvidence;
  /** Budget fallback of the pass gate: the variant's error rate proven below `rareBelow` in this step. */
  rareBelow: number;
  rareProven: boolean;
  latency: LatencyEvidence | null;
  burn: BurnEvidence[];
  waiting: WaitItem[];
}

/** One decision, emitted once per state change. */
export interface Decision {
  at: number;
  route: string;
  arm: string;
  action: Action;
  fromPercent: number;
  toPercent: number;
  /** 'sequential-ratio', 'latency-p99', 'burn-rate-service', 'pass-step', 'max-step-inconclusive', 'config-reload', 'manual'. */
  rule: string;
  /** One human sentence with the numbers. */
  reason: string;
  severity: 'info' | 'warn' | 'error';
  actor?: string;
  /** The operator's own reason for a manual action. */
  note?: string;
  /** A manual action that overrode breaching evidence. */
  forced?: boolean;
  evidence: Evidence;
}

/** One restart of the fail-fast tests (the evidence start, then each step start). */
export interface RestartState {
  at: number;
  stepIndex: number;
  weight: number;
  bad: number[];
  slow: number[] | null;
  /** The smallest share variant observations were made at since this restart. */
  sMinBad: number;
  sMinSlow: number;
  /** Variant evidence requests and slow observations (the p99 test). */
  exposure: number;
  slowObs: number;
}

/** Per-variant accumulators; reset by `reset`, by an acknowledged breach and by resuming after a rollback. */
export interface EvidenceState {
  since: number | null;
  stepSince: number | null;
  restarts: RestartState[];
  /** Current step's likelihoods for the upper bound. */
  passBad: number[];
  passSlow: number[] | null;
  total: { v: ArmTotals; c: ArmTotals };
  step: { v: ArmTotals; c: ArmTotals };
  /** Current step's upstream-time histograms. */
  stepLatency: { v: number[]; c: number[] };
  /** [calendar hour, Σ topBad, Σ topSlow] of the variant. */
  hours: [number, number, number][];
  maxRestarts: number;
}

/** One variant's place in its lifecycle. */
export interface VariantState {
  arm: string;
  phase: Phase;
  stepIndex: number;
  stepStartedAt: number | null;
  percent: number;
  breach: string | null;
  /** Epoch ms of the promotion the current holdback counts from (absent in states saved before holdbacks). */
  promotedAt?: number | null;
  /** Epoch ms the holdback was released (the variant then takes its whole promoted weight). */
  holdbackReleasedAt?: number | null;
  evidence: EvidenceState;
}

/** 1-s buckets of one arm still inside the longest window: [second, exposure, badObs, slowObs, muted]. */
export interface WindowSnapshot {
  cur: number;
  buckets: [number, number, number, number, number][];
}

/** The whole engine of one route, JSON-serializable. */
export interface RouteState {
  v: 2;
  route: string;
  variants: VariantState[];
  windows: Record<string, WindowSnapshot>;
  /** Per burn rule: ln G of the e-detector per alternative, and whether it was firing. */
  detectors: Record<string, { logG: number[]; firing: boolean }>;
  /** Epoch ms of the first evidence (how full the burn windows are). */
  since: number | null;
}
