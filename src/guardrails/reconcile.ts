/**
 * A restored variant against the current config: a reload (or restart) may have added or removed the
 * rollout, or changed its steps or the split. The variant follows the new plan at its step index
 * (clamped to the new last step) and the change is recorded as a `replan` decision, so a lowered
 * plan never leaves users on a weight no step names. A rolled-back variant stays rolled back.
 */
import { startStep } from './engine-evidence.js';
import { buildEvidence, num } from './evidence.js';
import type { Decision } from './types.js';
import { initialPlace, promotedPercent, restartsLeft, type EngineContext, type VariantRt } from './variant.js';

/**
 * Moves `v` onto the current plan; a decision when its weight or step changed.
 * @example const d = reconcile(ctx, v, Date.now()); if (d) pending.push(d)
 */
export function reconcile(ctx: EngineContext, v: VariantRt, now: number): Decision | undefined {
  if (v.phase === 'rolled-back') return undefined;
  const from = v.percent;
  const fromStep = v.stepIndex;
  const r = ctx.rollout;
  if (r) {
    if (v.stepIndex < 0) Object.assign(v, initialPlace(ctx, v.arm), { stepStartedAt: now });
    const last = r.steps.length - 1;
    if (v.stepIndex > last) v.stepIndex = last;
    if (v.phase === 'promoted') v.stepIndex = last;
    if (v.stepIndex === last && v.phase === 'progressing') v.phase = 'promoted';
    v.percent = v.phase === 'promoted' ? promotedPercent(ctx, v) : Math.min(r.steps[v.stepIndex]!, ctx.lane);
  } else if (v.stepIndex >= 0) {
    const init = initialPlace(ctx, v.arm);
    v.stepIndex = -1;
    if (v.phase !== 'paused') v.phase = init.phase;
    v.percent = init.percent;
  } else if (v.phase === 'idle' || v.phase === 'paused' || v.phase === 'holding') {
    v.percent = initialPlace(ctx, v.arm).percent;
  }
  if (v.percent === from && v.stepIndex === fromStep) return undefined;
  // The step changed under the variant: its step evidence starts again at the new weight.
  v.stepStartedAt = now;
  if (v.ev.since !== null) startStep(v.ev, Math.max(0, v.stepIndex), restartsLeft(ctx, v), now);
  const plan = r ? `steps ${r.steps.join(' → ')}%` : `split ${num(ctx.splitPercent[v.arm] ?? 0)}%`;
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: 'replan',
    fromPercent: from,
    toPercent: v.percent,
    rule: 'config-reload',
    reason: `the config changed the plan to ${plan}: ${v.arm} moves from ${num(from)}% to ${num(v.percent)}%${r ? ` (step ${v.stepIndex + 1}/${r.steps.length})` : ''}.`,
    severity: 'info',
    evidence: buildEvidence(ctx, v, now, []),
  };
}
