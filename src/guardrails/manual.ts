/**
 * Manual actions on one variant. A human outranks the engine, but the engine stays honest: promoting
 * or resuming a variant whose evidence breaches right now needs `force` (and is recorded as forced);
 * resuming after a breach or a rollback starts fresh evidence from now, so the data that condemned it
 * cannot condemn it again. An action that would change nothing is refused with the reason, never
 * silently accepted.
 */
import { assess, buildEvidence, num } from './evidence.js';
import type { Action, Decision, ManualAction, ManualOptions } from './types.js';
import { holdbackNote } from './decide.js';
import {
  holdbackActive,
  initialPlace,
  promotedPercent,
  restartEvidence,
  setPercent,
  type EngineContext,
  type VariantRt,
} from './variant.js';

/** Why a manual action was not applied to a variant. */
export interface Refusal {
  arm: string;
  why: 'no-change' | 'breaching';
  says: string;
}

/**
 * Applies `action` to `v`: a decision, or a refusal saying why nothing changed.
 * @example applyManual(ctx, v, 'promote', Date.now(), { actor: 'alice', note: 'hotfix verified', force: true })
 */
export function applyManual(
  ctx: EngineContext,
  v: VariantRt,
  action: ManualAction,
  now: number,
  opts: ManualOptions = {},
): Decision | Refusal {
  const from = v.percent;
  const who = opts.actor ?? 'an operator';
  const a = assess(ctx, v);
  const breaching = v.phase !== 'rolled-back' && a.breaching !== null;
  const refuse = (why: Refusal['why'], says: string): Refusal => ({ arm: v.arm, why, says });
  if ((action === 'promote' || action === 'resume') && breaching && !opts.force) {
    return refuse(
      'breaching',
      `${v.arm}'s evidence breaches right now (${a.breaching}, e-value ${num(Math.exp(Math.min(700, a.breaching === 'sequential-ratio' ? a.bad.logE : (a.latency?.p99LogE ?? 0))))}); ${action} needs --force`,
    );
  }
  let act: Action;
  let says: string;
  switch (action) {
    case 'rollback':
      if (v.phase === 'rolled-back') return refuse('no-change', `${v.arm} is already rolled back`);
      v.phase = 'rolled-back';
      setPercent(v, 0);
      act = 'manual-rollback';
      says = `${who} rolled ${v.arm} back from ${num(from)}% to 0%; it stays there until resume or reset`;
      break;
    case 'pause':
      if (v.phase === 'paused') return refuse('no-change', `${v.arm} is already paused`);
      if (v.phase === 'rolled-back') return refuse('no-change', `${v.arm} is rolled back; nothing to pause`);
      v.phase = 'paused';
      act = 'pause';
      says = `${who} paused ${v.arm} at ${num(from)}%; guardrails still watch it`;
      break;
    case 'resume':
      if (v.phase === 'rolled-back') {
        place(ctx, v, now);
        restartEvidence(ctx, v, now);
        says = `${who} resumed ${v.arm} after its rollback: ${ctx.rollout ? 'back to step 1' : 'back to its configured split'} at ${num(v.percent)}% with fresh evidence`;
      } else if (v.phase === 'paused' || v.phase === 'holding') {
        v.phase = !ctx.rollout ? 'idle' : v.stepIndex >= ctx.rollout.steps.length - 1 ? 'promoted' : 'progressing';
        v.stepStartedAt = now;
        restartEvidence(ctx, v, now);
        says = `${who} resumed ${v.arm} at ${num(v.percent)}%; the step clock and the evidence restart from now`;
      } else {
        return refuse('no-change', `${v.arm} is ${v.phase}; nothing to resume`);
      }
      act = 'resume';
      break;
    case 'promote':
      // Promoting a promoted variant again ends its holdback early (its units join the variant).
      if (v.phase === 'promoted' && holdbackActive(ctx, v)) {
        v.holdbackReleasedAt = now;
        setPercent(v, promotedPercent(ctx, v));
        act = 'manual-promote';
        says = `${who} released ${v.arm}'s holdback of ${num(ctx.holdback)}%: ${num(from)}% → ${num(v.percent)}%`;
        break;
      }
      if (v.phase === 'promoted') return refuse('no-change', `${v.arm} is already promoted`);
      // Promoted before and only paused or held since: the same promotion goes on, its holdback clock
      // and release kept (re-arming a released holdback would send its users back to control). A
      // rolled-back variant starts a new promotion (its units are all on control again).
      if (v.promotedAt === null || v.phase === 'rolled-back') {
        v.promotedAt = now;
        v.holdbackReleasedAt = null;
      }
      v.phase = 'promoted';
      v.stepIndex = ctx.rollout ? ctx.rollout.steps.length - 1 : -1;
      v.stepStartedAt = now;
      setPercent(v, promotedPercent(ctx, v));
      restartEvidence(ctx, v, now);
      act = 'manual-promote';
      says = `${who} promoted ${v.arm} from ${num(from)}% to ${num(v.percent)}%${holdbackNote(ctx, v)}`;
      break;
    case 'reset':
      place(ctx, v, now);
      restartEvidence(ctx, v, now);
      act = 'reset';
      says = `${who} reset ${v.arm} to ${ctx.rollout ? 'step 1' : 'its configured split'} at ${num(v.percent)}% with fresh evidence`;
      break;
  }
  const forced = breaching && (action === 'promote' || action === 'resume');
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: act,
    fromPercent: from,
    toPercent: v.percent,
    rule: 'manual',
    reason: `${says}${forced ? ' (forced over breaching evidence)' : ''}${opts.note ? `; reason: ${opts.note}` : ''}.`,
    severity: act === 'manual-rollback' || forced ? 'warn' : 'info',
    ...(opts.actor === undefined ? {} : { actor: opts.actor }),
    ...(opts.note ? { note: opts.note } : {}),
    ...(forced ? { forced: true } : {}),
    evidence: buildEvidence(ctx, v, now, []),
  };
}

/** Back to the initial step or split, step clock from now. */
function place(ctx: EngineContext, v: VariantRt, now: number): void {
  const init = initialPlace(ctx, v.arm);
  v.phase = init.phase;
  v.stepIndex = init.stepIndex;
  v.stepStartedAt = now;
  // Back to the start: a later promotion holds its units back again.
  v.promotedAt = init.phase === 'promoted' ? now : null;
  v.holdbackReleasedAt = null;
  setPercent(v, init.percent);
}
