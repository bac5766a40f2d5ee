/**
 * Scrape-time metric families of the guardrails: per route and arm the weight, phase, rollout step,
 * each test's evidence next to its threshold, what a step waits for, decisions by action and rule,
 * and persistence failures. Computed from `status()` at scrape time; nothing is counted per request.
 */
import type { MetricFamily, Sample } from '../telemetry/prom-text.js';
import type { GuardrailsRuntime } from './runtime.js';
import type { Phase } from './types.js';

const PHASES: readonly Phase[] = ['idle', 'progressing', 'paused', 'rolled-back', 'promoted', 'holding'];

/** Decision counts since start, by route, arm, action and rule (fed by the runtime). */
export type DecisionCounts = Map<string, { route: string; arm: string; action: string; rule: string; n: number }>;

const finite = (x: number | null | undefined): number => (x === null || x === undefined || !Number.isFinite(x) ? Number.NaN : x);

/**
 * The families.
 * @example createMetrics({ collect: () => [...collectAppState(src)(), ...guardrailMetrics(runtime, counts)] })
 */
export function guardrailMetrics(runtime: GuardrailsRuntime, counts: DecisionCounts): MetricFamily[] {
  const weight: Sample[] = [];
  const phase: Sample[] = [];
  const step: Sample[] = [];
  const logE: Sample[] = [];
  const logT: Sample[] = [];
  const upper: Sample[] = [];
  const waiting: Sample[] = [];
  const bake: Sample[] = [];
  const samples: Sample[] = [];
  for (const r of runtime.status()) {
    for (const v of r.variants) {
      const l = { route: r.route, arm: v.arm };
      weight.push({ labels: l, value: v.percent });
      for (const p of PHASES) phase.push({ labels: { ...l, phase: p }, value: v.phase === p ? 1 : 0 });
      step.push({ labels: l, value: v.steps ? v.stepIndex + 1 : 0 });
      const e = v.evidence;
      if (!e) continue;
      const tests: [string, number, number][] = [['bad-ratio', e.bad.logE, e.bad.logThreshold]];
      if (e.latency) {
        tests.push(
          ['latency-p99', e.latency.p99LogE, e.latency.logThreshold],
          ['latency-ratio', e.latency.ratio.logE, e.latency.ratio.logThreshold],
        );
      }
      for (const b of e.burn) tests.push([b.rule, b.detectorLogE, b.detectorLogThreshold]);
      for (const [test, x, t] of tests) {
        logE.push({ labels: { ...l, test }, value: finite(x) });
        logT.push({ labels: { ...l, test }, value: finite(t) });
      }
      upper.push({ labels: { ...l, metric: 'bad' }, value: finite(e.bad.stepUpper) });
      if (e.latency) upper.push({ labels: { ...l, metric: 'slow' }, value: finite(e.latency.ratio.stepUpper) });
      for (const w of e.waiting) waiting.push({ labels: { ...l, condition: w.what }, value: w.done ? 0 : 1 });
      bake.push({ labels: l, value: e.timeAtStepMs / 1000 });
      samples.push({ labels: l, value: e.stepVariant.exposure });
    }
  }
  const h = runtime.health();
  const gauge = (name: string, help: string, s: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples: s });
  const counter = (name: string, help: string, s: Sample[]): MetricFamily => ({ name, help, type: 'counter', samples: s });
  return [
    gauge('fieldlab_guardrails_weight_percent', 'Live weight of each variant, percent', weight),
    gauge('fieldlab_guardrails_phase', '1 for the phase each variant is in', phase),
    gauge('fieldlab_guardrails_rollout_step', 'Current rollout step (1-based); 0 without a rollout', step),
    gauge('fieldlab_guardrails_evidence_log_e', 'ln e-value of each test (decides when ≥ its log threshold)', logE),
    gauge('fieldlab_guardrails_evidence_log_threshold', 'ln threshold of each test (ln 1/α; the burn detectors ln of their ARL)', logT),
    gauge('fieldlab_guardrails_step_ratio_upper', "Current step's upper bound on the variant/control ratio (NaN = unbounded)", upper),
    gauge('fieldlab_guardrails_waiting', '1 while a step still waits for this condition', waiting),
    gauge('fieldlab_guardrails_step_seconds', 'Time at the current step (bake)', bake),
    gauge('fieldlab_guardrails_step_samples', 'Variant requests in the evidence of the current step', samples),
    counter(
      'fieldlab_guardrails_decisions_total',
      'Decisions since start, by action and rule',
      [...counts.values()].map((c) => ({ labels: { route: c.route, arm: c.arm, action: c.action, rule: c.rule }, value: c.n })),
    ),
    counter('fieldlab_guardrails_persistence_failures_total', 'Failed guardrail writes (they are retried)', [
      { labels: { kind: 'state' }, value: h.stateFailures },
      { labels: { kind: 'decision' }, value: h.decisionFailures },
    ]),
    gauge('fieldlab_guardrails_persistence_pending', 'Guardrail writes waiting for a retry', [
      { value: h.pendingStates + h.pendingDecisions },
    ]),
    gauge('fieldlab_guardrails_persistence_degraded', '1 while guardrail state or decisions are not stored', [
      { value: h.degraded ? 1 : 0 },
    ]),
    counter('fieldlab_guardrails_decisions_dropped_total', 'Decisions dropped because the retry queue was full', [
      { value: h.decisionsDropped },
    ]),
  ];
}

/**
 * `collect` plus the guardrail families (the runtime may not exist yet when metrics are created).
 * @example createMetrics({ collect: withGuardrailMetrics(collectAppState(src), () => runtime) })
 */
export function withGuardrailMetrics(collect: () => MetricFamily[], runtime: () => GuardrailsRuntime | undefined): () => MetricFamily[] {
  return () => {
    const g = runtime();
    return g ? [...collect(), ...guardrailMetrics(g, g.decisionCounts)] : collect();
  };
}
