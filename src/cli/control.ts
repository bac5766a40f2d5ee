/**
 * `fieldlab status` and the manual controls `fieldlab rollback|pause|resume|promote|reset ROUTE`,
 * talking to a running Fieldlab's admin API. Every decision is shown with the rule and the numbers
 * behind it.
 */
import { adminCall, adminTarget } from './admin-client.js';
import { flag, type CliIo } from './start.js';

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
    }[];
  }[];
  decisions: {
    at: number;
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
  return r.status === 0 ? 2 : 1;
}

/** Renders status and the recent decisions as text. */
export function renderStatus(s: StatusBody): string {
  const lines: string[] = [];
  if (s.routes.length === 0) lines.push('No route has guardrails or a rollout.');
  for (const r of s.routes) {
    lines.push(`route ${r.route}`);
    for (const v of r.variants) {
      const step = v.steps ? `step ${v.stepIndex + 1}/${v.steps.length} (${v.steps.join(' → ')}%)` : 'no rollout';
      lines.push(
        `  ${v.arm.padEnd(12)} ${String(v.percent).padStart(5)}%  ${v.phase.padEnd(12)} ${step}${v.stepStartedAt ? ` since ${v.stepStartedAt}` : ''}${v.breach ? `  breach: ${v.breach}` : ''}`,
      );
    }
  }
  if (s.decisions.length > 0) {
    lines.push('', 'recent decisions (newest first)');
    for (const d of s.decisions) {
      lines.push(
        `  ${new Date(d.at).toISOString()}  ${d.route}/${d.arm}  ${d.action} ${d.fromPercent}% → ${d.toPercent}%  [${d.rule}${d.actor ? `, by ${d.actor}` : ''}]`,
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

/** `fieldlab rollback|pause|resume|promote|reset ROUTE [--arm A] [--admin URL] [--token T]` */
export function manualCommand(action: string): (args: string[], io: CliIo) => Promise<number> {
  return async (args, io) => {
    const route = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--') && !args[i - 1]!.includes('=')));
    if (!route) {
      io.err(`usage: fieldlab ${action} ROUTE [--arm ARM] [--admin URL] [--token TOKEN]`);
      return 2;
    }
    const arm = flag(args, 'arm');
    const r = await adminCall(
      adminTarget(args, io),
      'POST',
      `/routes/${encodeURIComponent(route)}/${action}${arm ? `?arm=${encodeURIComponent(arm)}` : ''}`,
    );
    if (r.status !== 200) return fail(io, r);
    const body = r.body as { decisions: StatusBody['decisions'] };
    if (body.decisions.length === 0) io.out(`${route}: nothing to ${action} (no variant changed state)`);
    for (const d of body.decisions) io.out(`${d.route}/${d.arm}: ${d.action} ${d.fromPercent}% → ${d.toPercent}% — ${d.reason}`);
    return 0;
  };
}
