/**
 * `fieldlab status` and the manual controls `fieldlab rollback|pause|resume|promote|reset ROUTE`,
 * talking to a running Fieldlab's admin API. Status shows per variant what its step waits for, with
 * the numbers; every decision is shown with the rule, the actor and the reason behind it.
 */
import { hostname } from 'node:os';
import { adminCall, adminTarget } from './admin-client.js';
import { flag, type CliIo } from './start.js';

interface WaitItem {
  what: string;
  done: boolean;
  says: string;
}

interface StatusBody {
  routes: {
    route: string;
    variants: {
      arm: string;
      percent: number;
      phase: string;
      stepIndex: number;
      steps: number[] | null;
      stepStartedAt: string | null;
      breach: string | null;
      evidence?: { verdict: string; waiting: WaitItem[] } | null;
    }[];
  }[];
  unguarded?: string[];
  persistence?: {
    degraded: boolean;
    stateFailures: number;
    decisionFailures: number;
    pendingStates: number;
    pendingDecisions: number;
    lastError: string | null;
  };
  decisions: {
    at: string;
    route: string;
    arm: string;
    action: string;
    fromPercent: number;
    toPercent: number;
    rule: string;
    reason: string;
    actor?: string;
  }[];
}

/** Prints an admin API failure; exit 2 when the admin API was unreachable, else 1. */
export function fail(io: CliIo, r: { status: number; body: unknown; error?: string }): number {
  const err = (r.body as { error?: { code?: string; message?: string } } | null)?.error;
  io.err(`fieldlab: ${r.error ?? `${err?.code ?? `HTTP ${r.status}`}: ${err?.message ?? JSON.stringify(r.body)}`}`);
  // Unreachable admin, or a name that does not exist: usage-level errors.
  return r.status === 0 || r.status === 404 ? 2 : 1;
}

/** Renders status and the recent decisions as text. */
export function renderStatus(s: StatusBody): string {
  const lines: string[] = [];
  if (s.routes.length === 0) lines.push('No route has guardrails or a rollout.');
  for (const r of s.routes) {
    lines.push(`route ${r.route}`);
    for (const v of r.variants) {
      const step = v.steps ? `step ${v.stepIndex + 1}/${v.steps.length} (${v.steps.join(' → ')}%)` : 'no rollout';
      const verdict = v.evidence ? `  [${v.evidence.verdict}]` : '';
      lines.push(
        `  ${v.arm.padEnd(12)} ${String(v.percent).padStart(5)}%  ${v.phase.padEnd(12)} ${step}${v.stepStartedAt ? ` since ${v.stepStartedAt}` : ''}${v.breach ? `  breach: ${v.breach}` : ''}${verdict}`,
      );
      const open = v.evidence?.waiting.filter((w) => !w.done) ?? [];
      if (open.length > 0 && v.phase !== 'rolled-back') lines.push(`      waiting for: ${open.map((w) => w.says).join('; ')}`);
    }
  }
  for (const name of s.unguarded ?? []) lines.push(`route ${name}: no guardrails (insufficient evidence: nothing is measured)`);
  const p = s.persistence;
  if (p?.degraded || (p && p.stateFailures + p.decisionFailures > 0))
    lines.push(
      '',
      `persistence ${p.degraded ? 'DEGRADED' : 'ok'}: ${p.stateFailures} state and ${p.decisionFailures} decision write failures, ${p.pendingStates + p.pendingDecisions} waiting for a retry${p.lastError ? ` (last: ${p.lastError})` : ''}`,
    );
  if (s.decisions.length > 0) {
    lines.push('', 'recent decisions (newest first)');
    for (const d of s.decisions) {
      lines.push(
        `  ${d.at}  ${d.route}/${d.arm}  ${d.action} ${d.fromPercent}% → ${d.toPercent}%  [${d.rule}${d.actor ? `, by ${d.actor}` : ''}]`,
      );
      lines.push(`      ${d.reason}`);
    }
  }
  return lines.join('\n');
}

/** `fieldlab status [--route R] [--json] [--admin URL] [--token T] [--config FILE]` */
export async function runStatus(args: string[], io: CliIo): Promise<number> {
  const route = flag(args, 'route');
  const r = await adminCall(adminTarget(args, io), 'GET', `/status${route ? `?route=${encodeURIComponent(route)}` : ''}`);
  if (r.status !== 200) return fail(io, r);
  io.out(args.includes('--json') ? JSON.stringify(r.body, null, 2) : renderStatus(r.body as StatusBody));
  return 0;
}

/**
 * Who is acting: `--actor`, else $USER (or $LOGNAME), else the host name — never "unknown".
 * @example actorOf([], { USER: 'alice' }) // 'alice'
 */
export function actorOf(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return flag(args, 'actor') || `cli:${env.USER || env.LOGNAME || hostname()}`;
}

const FLAGS_WITH_VALUE = new Set(['--arm', '--admin', '--token', '--config', '--reason', '--actor']);

/** `fieldlab rollback|pause|resume|promote|reset ROUTE [--arm A] [--reason TEXT] [--actor NAME] [--force] [--admin URL] [--token T]` */
export function manualCommand(action: string): (args: string[], io: CliIo) => Promise<number> {
  return async (args, io) => {
    const route = args.find((a, i) => !a.startsWith('--') && !(i > 0 && FLAGS_WITH_VALUE.has(args[i - 1]!)));
    if (!route) {
      io.err(`usage: fieldlab ${action} ROUTE [--arm ARM] [--reason TEXT] [--actor NAME] [--force] [--admin URL] [--token TOKEN]`);
      return 2;
    }
    const q = new URLSearchParams();
    const arm = flag(args, 'arm');
    if (arm) q.set('arm', arm);
    const reason = flag(args, 'reason');
    if (reason) q.set('reason', reason);
    if (args.includes('--force')) q.set('force', '1');
    const query = q.size > 0 ? `?${q}` : '';
    const r = await adminCall(adminTarget(args, io), 'POST', `/routes/${encodeURIComponent(route)}/${action}${query}`, {
      'x-fieldlab-actor': actorOf(args),
    });
    if (r.status !== 200) return fail(io, r);
    const body = r.body as { decisions: StatusBody['decisions'] };
    for (const d of body.decisions) io.out(`${d.route}/${d.arm}: ${d.action} ${d.fromPercent}% → ${d.toPercent}% — ${d.reason}`);
    return 0;
  };
}
