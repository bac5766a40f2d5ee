/**
 * One variant's evidence against the control, accumulated from ArmSecond pairs:
 *   - fail-fast ratio tests (bad, and slow with a latency SLO) as a mixture of e-processes restarted at
 *     the evidence start and at every step start, weight w_j = (K + 1) / (K·(j + 1)·(j + 2)) for the
 *     j-th of at most K restarts (Σ w_j = 1, so the mixture is still an e-process): a break right after
 *     a step is judged by evidence from that step on, not diluted by the healthy history before it;
 *   - per calendar hour, the observations the largest single contributor gave (Σ top…), and per
 *     restart the smallest share seen, so a decision can be taken on what remains without them;
 *   - the current step's likelihood for the upper bound, and its counts and latency histograms.
 */
import type { ArmSecond } from './arm-second.js';
import { ARM_COUNTS, LATENCY_BINS } from './arm-second.js';
import { addLL, emptyLL, failLogE, logMeanExp } from './ratio-test.js';
import { rateAboveLogE } from './rate-test.js';
import type { ArmTotals, EvidenceState, RestartState } from './types.js';

/** The p99 test's null: at most 1 % of requests over the threshold. */
export const P99_SHARE = 0.01;

interface RestartRt {
  /** Epoch ms the restart began. */
  at: number;
  stepIndex: number;
  weight: number;
  bad: Float64Array;
  slow: Float64Array | null;
  sMinBad: number;
  sMinSlow: number;
  exposure: number;
  slowObs: number;
}

/** Live evidence of one variant. */
export interface EvidenceRt {
  since: number | null;
  stepSince: number | null;
  restarts: RestartRt[];
  passBad: Float64Array;
  passSlow: Float64Array | null;
  total: { v: ArmTotals; c: ArmTotals };
  step: { v: ArmTotals; c: ArmTotals };
  stepLatency: { v: number[]; c: number[] };
  /** [calendar hour, Σ topBad, Σ topSlow] of the variant, oldest first. */
  hours: [number, number, number][];
  /** Restarts this evidence can hold, fixed when it starts so the weights sum to at most 1. */
  maxRestarts: number;
  /** Changes whenever the fail-fast tests could change (not persisted). */
  version: number;
}

const TOTAL_KEYS = ARM_COUNTS.filter((k): k is Exclude<(typeof ARM_COUNTS)[number], 'units'> => k !== 'units');

/** All-zero totals. @example zeroTotals().requests // 0 */
export function zeroTotals(): ArmTotals {
  return Object.fromEntries(TOTAL_KEYS.map((k) => [k, 0])) as unknown as ArmTotals;
}

/** Adds a second's counts into totals: every count but `units`, by the same key list zeroTotals uses (a new count can't be left out). */
function addTotals(t: ArmTotals, s: ArmSecond): void {
  for (const k of TOTAL_KEYS) t[k] += s[k];
}

const hist = () => new Array<number>(LATENCY_BINS).fill(0);

function addHist(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) if (from[i]) into[i]! += from[i]!;
}

/**
 * Empty evidence; the first step's restart is added by `startStep`.
 * @example const e = freshEvidence(true); startStep(e, 0, 1, now)
 */
export function freshEvidence(testSlow: boolean): EvidenceRt {
  return {
    since: null,
    stepSince: null,
    restarts: [],
    passBad: emptyLL(),
    passSlow: testSlow ? emptyLL() : null,
    total: { v: zeroTotals(), c: zeroTotals() },
    step: { v: zeroTotals(), c: zeroTotals() },
    stepLatency: { v: hist(), c: hist() },
    hours: [],
    maxRestarts: 1,
    version: 0,
  };
}

/**
 * Begins a step at `now`: a new restart of the fail-fast tests (weight for the j-th of at most
 * `maxRestarts`), and fresh step counts and bound.
 * @example startStep(e, 2, 5, now)
 */
export function startStep(e: EvidenceRt, stepIndex: number, maxRestarts: number, now: number): void {
  const testSlow = e.passSlow !== null;
  if (e.since === null) {
    e.since = now;
    e.maxRestarts = Math.max(1, maxRestarts);
  }
  e.stepSince = now;
  const j = e.restarts.length;
  const K = e.maxRestarts;
  if (j < K) {
    e.restarts.push({
      at: now,
      stepIndex,
      weight: (K + 1) / (K * (j + 1) * (j + 2)),
      bad: emptyLL(),
      slow: testSlow ? emptyLL() : null,
      sMinBad: 1,
      sMinSlow: 1,
      exposure: 0,
      slowObs: 0,
    });
  }
  e.passBad = emptyLL();
  e.passSlow = testSlow ? emptyLL() : null;
  e.step = { v: zeroTotals(), c: zeroTotals() };
  e.stepLatency = { v: hist(), c: hist() };
  e.version++;
}

/**
 * The shares of one second: `fail` is the larger of the variant's share of evidence requests and of
 * units (conservative whether errors strike per request or per unit), `pass` the smaller, and `req`
 * the request share (for the bound, which counts requests).
 * @example shares(v, c).fail
 */
export function shares(v: ArmSecond, c: ArmSecond): { fail: number; pass: number; req: number } {
  const req = v.exposure + c.exposure > 0 ? v.exposure / (v.exposure + c.exposure) : 0;
  const unit = v.units + c.units > 0 ? v.units / (v.units + c.units) : req;
  return { fail: Math.max(req, unit), pass: Math.min(req, unit), req };
}

/**
 * Adds one second of the variant `v` and the control `c`.
 * @example addSecond(e, 1.5, variantSecond, controlSecond)
 */
export function addSecond(e: EvidenceRt, tolerance: number, v: ArmSecond, c: ArmSecond, sec: number): void {
  if (v.topBad + v.topSlow > 0) {
    const hour = Math.floor(sec / 3600);
    const last = e.hours.at(-1);
    if (last && last[0] === hour) {
      last[1] += v.topBad;
      last[2] += v.topSlow;
    } else e.hours.push([hour, v.topBad, v.topSlow]);
  }
  addTotals(e.total.v, v);
  addTotals(e.total.c, c);
  addTotals(e.step.v, v);
  addTotals(e.step.c, c);
  addHist(e.stepLatency.v, v.latency);
  addHist(e.stepLatency.c, c.latency);
  const s = shares(v, c);
  // Only a variant observation (or a new restart) can raise a fail-fast e-value.
  if (v.badObs + v.slowObs > 0) e.version++;
  if (v.badObs + c.badObs > 0) {
    const restarts = e.restarts.map((r) => r.bad);
    // The bound counts evidence requests at the request share: per-unit caps apply to both arms alike.
    if (s.fail === s.req && v.badObs === v.exposureBad && c.badObs === c.exposureBad)
      addLL([...restarts, e.passBad], tolerance, s.fail, v.badObs, c.badObs);
    else {
      addLL(restarts, tolerance, s.fail, v.badObs, c.badObs);
      addLL([e.passBad], tolerance, s.req, v.exposureBad, c.exposureBad);
    }
  } else if (v.exposureBad + c.exposureBad > 0) addLL([e.passBad], tolerance, s.req, v.exposureBad, c.exposureBad);
  if (e.passSlow && v.slowObs + c.slowObs + v.exposureSlow + c.exposureSlow > 0) {
    addLL(
      e.restarts.map((r) => r.slow!),
      tolerance,
      s.fail,
      v.slowObs,
      c.slowObs,
    );
    addLL([e.passSlow], tolerance, s.req, v.exposureSlow, c.exposureSlow);
  }
  for (const r of e.restarts) {
    if (v.badObs > 0 && s.fail > 0) r.sMinBad = Math.min(r.sMinBad, s.fail);
    if (v.slowObs > 0 && s.fail > 0) r.sMinSlow = Math.min(r.sMinSlow, s.fail);
    r.exposure += v.exposure;
    r.slowObs += v.slowObs;
  }
}

/**
 * Observations to set aside for a restart begun at `at`: the largest single contributor's, summed
 * over the calendar hours since (the whole hour it began in, so nothing before it escapes). Below 2
 * nothing is set aside: one observation alone never reaches 1/α (at most ONE_OBSERVATION_MAX), so a
 * contributor who gave only one cannot be what decides.
 */
export function setAsideSince(e: EvidenceRt, at: number, metric: 'bad' | 'slow', floor = 2): number {
  const from = Math.floor(at / 3_600_000);
  let n = 0;
  for (const h of e.hours) if (h[0] >= from) n += metric === 'bad' ? h[1] : h[2];
  return n >= floor ? n : 0;
}

/** The most one observation's fail-fast e-value can be (share → 0): the mean of 2^(k/4), k = 1 … 24. */
export const ONE_OBSERVATION_MAX = Array.from({ length: 24 }, (_, k) => 2 ** ((k + 1) / 4)).reduce((a, b) => a + b, 0) / 24;

/**
 * The set-aside floor for a test at `alpha`: 2 when one observation can never reach 1/α, else 1.
 * @example setAsideFloor(0.01) // 2
 */
export function setAsideFloor(alpha: number): number {
  return 1 / alpha > ONE_OBSERVATION_MAX ? 2 : 1;
}

/**
 * ln of the restart mixture of fail-fast e-values for `metric`; `setAside` takes the largest single
 * contributor's observations away first.
 * @example failMixtureLogE(e, 'bad', 1.5, true) >= Math.log(1 / alpha)
 */
export function failMixtureLogE(e: EvidenceRt, metric: 'bad' | 'slow', tolerance: number, setAside: number | null): number {
  let max = -Infinity;
  const terms: number[] = [];
  for (const r of e.restarts) {
    const ll = metric === 'bad' ? r.bad : r.slow;
    if (!ll) continue;
    const taken = setAside !== null ? setAsideSince(e, r.at, metric, setAside) : 0;
    const t = Math.log(r.weight) + failLogE(ll, tolerance, taken, metric === 'bad' ? r.sMinBad : r.sMinSlow);
    terms.push(t);
    if (t > max) max = t;
  }
  if (terms.length === 0 || max === -Infinity) return -Infinity;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

/**
 * ln of the restart mixture against "variant slow share ≤ 1 %" (p99 ≤ threshold), with the largest
 * contributor's slow observations taken away.
 * @example p99MixtureLogE(e) >= Math.log(1 / alpha)
 */
export function p99MixtureLogE(e: EvidenceRt): number {
  const terms = e.restarts.map(
    (r) => Math.log(r.weight) + rateAboveLogE(P99_SHARE, r.exposure, Math.max(0, r.slowObs - setAsideSince(e, r.at, 'slow', 1))),
  );
  return terms.length ? logMeanExp(Float64Array.from(terms), 1) : -Infinity;
}

/** The largest single contributor's observations over the whole evidence (shown with the decision). */
export function setAsideOf(e: EvidenceRt, metric: 'bad' | 'slow', floor: number): number {
  return e.restarts[0] ? setAsideSince(e, e.restarts[0].at, metric, floor) : 0;
}

/**
 * The persisted form.
 * @example JSON.stringify(snapshotEvidence(e))
 */
export function snapshotEvidence(e: EvidenceRt): EvidenceState {
  return {
    since: e.since,
    stepSince: e.stepSince,
    restarts: e.restarts.map(
      (r): RestartState => ({
        ...r,
        bad: Array.from(r.bad),
        slow: r.slow ? Array.from(r.slow) : null,
      }),
    ),
    passBad: Array.from(e.passBad),
    passSlow: e.passSlow ? Array.from(e.passSlow) : null,
    total: { v: { ...e.total.v }, c: { ...e.total.c } },
    step: { v: { ...e.step.v }, c: { ...e.step.c } },
    stepLatency: { v: [...e.stepLatency.v], c: [...e.stepLatency.c] },
    hours: e.hours.map((h) => [...h] as [number, number, number]),
    maxRestarts: e.maxRestarts,
  };
}

/**
 * Evidence from its persisted form; anything malformed starts fresh (never a crash on old state).
 * @example restoreEvidence(saved.evidence, true)
 */
export function restoreEvidence(s: EvidenceState | undefined, testSlow: boolean): EvidenceRt {
  const fresh = freshEvidence(testSlow);
  try {
    if (!s || !Array.isArray(s.restarts) || !Array.isArray(s.passBad)) return fresh;
    const ll = (a: number[] | null | undefined) =>
      Array.isArray(a) && a.length === fresh.passBad.length ? Float64Array.from(a) : emptyLL();
    return {
      since: s.since ?? null,
      stepSince: s.stepSince ?? null,
      restarts: s.restarts.map((r) => ({ ...r, bad: ll(r.bad), slow: testSlow ? ll(r.slow) : null })),
      passBad: ll(s.passBad),
      passSlow: testSlow ? ll(s.passSlow) : null,
      total: { v: { ...zeroTotals(), ...s.total.v }, c: { ...zeroTotals(), ...s.total.c } },
      step: { v: { ...zeroTotals(), ...s.step.v }, c: { ...zeroTotals(), ...s.step.c } },
      stepLatency: {
        v: s.stepLatency?.v?.length === LATENCY_BINS ? [...s.stepLatency.v] : hist(),
        c: s.stepLatency?.c?.length === LATENCY_BINS ? [...s.stepLatency.c] : hist(),
      },
      hours: Array.isArray(s.hours) ? s.hours.map((h) => [...h] as [number, number, number]) : [],
      maxRestarts: Math.max(1, Math.floor(s.maxRestarts ?? 1)),
      version: 0,
    };
  } catch {
    return fresh;
  }
}
