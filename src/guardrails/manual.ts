/**
 * Manual actions on one variant. A human outranks the engine, but the engine stays honest: resuming
 * after a breach restarts the fail-fast test from now (the human acknowledged the evidence so far),
 * and anything that brings a rolled-back variant back starts with fresh evidence and empty windows, so
 * the data that condemned it cannot condemn it again.
 */
import { buildEvidence, num } from './evidence.js';
import type { Action, Decision, ManualAction } from './types.js';
import { acknowledge, initialPlace, promotedPercent, restartEvidence, setPercent, type EngineContext, type VariantRt } from './variant.js';

/**
 * Applies `action` to `v`; undefined when it changes nothing (e.g. resume while progressing).
 * @example applyManual(ctx, variants, v, 'rollback', Date.now(), 'alice')
 */
export function applyManual(
  ctx: EngineContext,
  all: readonly VariantRt[],
  v: VariantRt,
  action: ManualAction,
  now: number,
  actor?: string,
): Decision | undefined {
  const from = v.percent;
  const who = actor ?? 'an operator';
  let act: Action;
  let says: string;
  switch (action) {
    case 'rollback':
      if (v.phase === 'rolled-back') return undefined;
      v.phase = 'rolled-back';
      setPercent(ctx, all, v, 0);
      act = 'manual-rollback';
      says = `${who} rolled ${v.arm} back from ${num(from)}% to 0%; it stays there until resume or reset`;
      break;
    case 'pause':
      if (v.phase === 'paused' || v.phase === 'rolled-back') return undefined;
      v.phase = 'paused';
      act = 'pause';
      says = `${who} paused ${v.arm} at ${num(from)}%; guardrails still watch it`;
      break;
    case 'resume':
      if (v.phase === 'rolled-back') {
        restartEvidence(ctx, v, now);
        place(ctx, all, v, now);
        says = `${who} resumed ${v.arm} after its rollback: ${ctx.rollout ? 'back to step 1' : 'back to its configured split'} at ${num(v.percent)}% with fresh evidence`;
      } else if (v.phase === 'paused' || v.phase === 'holding') {
        acknowledge(v);
        v.phase = !ctx.rollout ? 'idle' : v.stepIndex >= ctx.rollout.steps.length - 1 ? 'promoted' : 'progressing';
        v.stepStartedAt = now;
        says = `${who} resumed ${v.arm} at ${num(v.percent)}%; the step clock restarts and the fail-fast test counts from now`;
      } else {
        return undefined;
      }
      act = 'resume';
      break;
    case 'promote':
      if (v.phase === 'promoted') return undefined;
      if (v.phase === 'rolled-back') restartEvidence(ctx, v, now);
      else acknowledge(v);
      v.phase = 'promoted';
      v.stepIndex = ctx.rollout ? ctx.rollout.steps.length - 1 : -1;
      v.stepStartedAt = now;
      setPercent(ctx, all, v, promotedPercent(ctx));
      act = 'manual-promote';
      says = `${who} promoted ${v.arm} from ${num(from)}% to ${num(v.percent)}%`;
      break;
    case 'reset':
      restartEvidence(ctx, v, now);
      place(ctx, all, v, now);
      act = 'reset';
      says = `${who} reset ${v.arm} to ${ctx.rollout ? 'step 1' : 'its configured split'} at ${num(v.percent)}% with fresh evidence`;
      break;
  }
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: act,
    fromPercent: from,
    toPercent: v.percent,
    rule: 'manual',
    reason: `${says}.`,
    severity: act === 'manual-rollback' ? 'warn' : 'info',
    ...(actor === undefined ? {} : { actor }),
    evidence: buildEvidence(ctx, v, now),
  };
}

/** Back to the initial step or split, step clock from now. */
function place(ctx: EngineContext, all: readonly VariantRt[], v: VariantRt, now: number): void {
  const init = initialPlace(ctx, v.arm);
  v.phase = init.phase;
  v.stepIndex = init.stepIndex;
  v.stepStartedAt = now;
  setPercent(ctx, all, v, init.percent);
}
