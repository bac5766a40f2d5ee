/**
 * `fieldlab status` and the manual controls `fieldlab rollback|pause|resume|promote|reset ROUTE`,
 * talking to a running Fieldlab's admin API. Status shows per variant what its step waits for, with
 * the numbers; every decision is shown with the rule, the actor and the reason behind it.
 */
import { type BanditStatusBody, renderBandits } from './bandit-status.js';
import { type RampStatusBody, renderRamps } from './ramp-status.js';
import { hostname } from 'node:os';
import { suggest } from '../config/suggest.js';
import { FL_ADMIN_BAD_REQUEST, FL_NO_CHANGE, FL_ROUTE_NOT_FOUND } from '../errors.js';
import { ADMIN_FLAGS, adminCall, adminTarget, type AdminTarget } from './admin-client.js';
import { EXIT } from './exit-codes.js';
import { type CommandSpec, readFlags } from './flags.js';
import { flag, type CliIo } from './io.js';

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
      holdback?: { percent: number; active: boolean; endsAt: string | null; releasedAt: string | null; blockedBy?: string | null } | null;
      evidence?: { verdict: string; waiting: WaitItem[] } | null;
    }[];
  }[];
  unguarded?: string[];
  bandits?: BanditStatusBody[];
  ramps?: RampStatusBody[];
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
  // Unreachable admin, a name that does not exist, or a request the API can't take (an unknown
  // --arm): usage-level errors.
  return r.status === 0 || r.status === 404 || err?.code === FL_ADMIN_BAD_REQUEST.code ? EXIT.USAGE : EXIT.FAILURE;
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
      const h = v.holdback;
      if (h?.active)
        lines.push(
          `      holdback: ${h.percent}% of units on control ${h.endsAt ? `until ${h.endsAt}` : 'until promoted again'}${h.blockedBy ? ` (release blocked: ${h.blockedBy})` : ''}`,
        );
      else if (h?.releasedAt) lines.push(`      holdback: ${h.percent}% released ${h.releasedAt}`);
      const open = v.evidence?.waiting.filter((w) => !w.done) ?? [];
      if (open.length > 0 && v.phase !== 'rolled-back') lines.push(`      waiting for: ${open.map((w) => w.says).join('; ')}`);
    }
  }
  for (const name of s.unguarded ?? []) lines.push(`route ${name}: no guardrails (insufficient evidence: nothing is measured)`);
  lines.push(...renderBandits(s.bandits ?? []));
  lines.push(...renderRamps(s.ramps ?? []));
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

/** `fieldlab status`: its flags. */
export const STATUS: CommandSpec = {
  name: 'status',
  summary: "guardrails: each variant's weight, phase, step and what it waits for; persistence; recent decisions",
  flags: {
    route: { value: 'R', help: 'only this route (an unknown one exits 2, listing the routes)' },
    json: { help: 'print GET /status as JSON' },
    ...ADMIN_FLAGS,
  },
};

/** The manual actions, one command each, sharing one spec. */
export const ACTIONS = ['rollback', 'pause', 'resume', 'promote', 'reset'] as const;

/** `fieldlab rollback|pause|resume|promote|reset ROUTE`: their flags. */
export const ACTION: CommandSpec = {
  name: ACTIONS.join('|'),
  positional: 'ROUTE',
  positionals: 1,
  summary: 'manual guardrail actions on a running Fieldlab; one that changes nothing exits 3 and says why',
  flags: {
    arm: { value: 'ARM', help: 'only this variant (default: every variant of the route)' },
    reason: { value: 'TEXT', help: 'why, stored with the decision' },
    actor: { value: 'NAME', help: 'who acts (default cli:$USER, else the host name)' },
    force: { help: 'promote or resume a variant whose evidence breaches right now' },
    ...ADMIN_FLAGS,
  },
};

/**
 * A 404 FL_ROUTE_NOT_FOUND, said with the routes the running config has: `no route "nope"; routes: a, b`.
 * Exit 2, like any unknown name.
 */
async function unknownRoute(io: CliIo, command: string, route: string, target: AdminTarget): Promise<number> {
  const r = await adminCall(target, 'GET', '/status');
  const body = r.status === 200 ? (r.body as StatusBody) : undefined;
  const names = body ? [...body.routes.map((x) => x.route), ...(body.unguarded ?? [])] : [];
  const known = names.length > 0 ? ` — routes: ${names.join(', ')}` : body ? ' — the running config has no routes' : '';
  io.err(`fieldlab ${command}: no route "${route}"${suggest(route, names)}${known} [${FL_ROUTE_NOT_FOUND.code}]`);
  return EXIT.USAGE;
}

const errorCode = (body: unknown) => (body as { error?: { code?: string } } | null)?.error?.code;

/** `fieldlab status [--route R] [--json] [--admin URL] [--token T] [--config FILE]` */
export async function runStatus(args: string[], io: CliIo): Promise<number> {
  const parsed = readFlags(STATUS, args, io);
  if (typeof parsed === 'number') return parsed;
  const route = parsed.values.get('route');
  const target = adminTarget(args, io);
  const r = await adminCall(target, 'GET', `/status${route ? `?route=${encodeURIComponent(route)}` : ''}`);
  if (route && r.status === 404 && errorCode(r.body) === FL_ROUTE_NOT_FOUND.code) return unknownRoute(io, 'status', route, target);
  if (r.status !== 200) return fail(io, r);
  io.out(parsed.set.has('json') ? JSON.stringify(r.body, null, 2) : renderStatus(r.body as StatusBody));
  return EXIT.OK;
}

/**
 * Who is acting: `--actor`, else $USER (or $LOGNAME), else the host name — never "unknown".
 * @example actorOf([], { USER: 'alice' }) // 'alice'
 */
export function actorOf(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return flag(args, 'actor') || `cli:${env.USER || env.LOGNAME || hostname()}`;
}

/**
 * `fieldlab rollback|pause|resume|promote|reset ROUTE [--arm A] [--reason TEXT] [--actor NAME] [--force] [--admin URL] [--token T]`.
 * Exit 0 when something changed (refusals for other variants are printed too), 3 when nothing
 * would change (already in that state), 1 for other refusals, 2 for an unknown route or variant.
 * @example await manualCommand('rollback')(['checkout', '--arm', 'canary'], io) // 0, or 3 when already rolled back
 */
export function manualCommand(action: string): (args: string[], io: CliIo) => Promise<number> {
  return async (args, io) => {
    const parsed = readFlags({ ...ACTION, name: action }, args, io);
    if (typeof parsed === 'number') return parsed;
    const route = parsed.positionals[0];
    if (!route) {
      io.err(
        `fieldlab ${action}: missing ROUTE\nusage: fieldlab ${action} ROUTE [--arm ARM] [--reason TEXT] [--actor NAME] [--force] [--admin URL] [--config FILE] [--token TOKEN]`,
      );
      return EXIT.USAGE;
    }
    const q = new URLSearchParams();
    const arm = parsed.values.get('arm');
    if (arm) q.set('arm', arm);
    const reason = parsed.values.get('reason');
    if (reason) q.set('reason', reason);
    if (parsed.set.has('force')) q.set('force', '1');
    const query = q.size > 0 ? `?${q}` : '';
    const target = adminTarget(args, io);
    const r = await adminCall(target, 'POST', `/routes/${encodeURIComponent(route)}/${action}${query}`, {
      'x-fieldlab-actor': actorOf(args),
    });
    const code = errorCode(r.body);
    if (r.status === 404 && code === FL_ROUTE_NOT_FOUND.code) return unknownRoute(io, action, route, target);
    if (code === FL_NO_CHANGE.code) {
      // Not a failure and not a success: say plainly that nothing happened, with a code of its own.
      const message = (r.body as { error?: { message?: string } }).error?.message ?? 'already in that state';
      io.out(`${route}: nothing changed — ${message} [${FL_NO_CHANGE.code}]`);
      return EXIT.NOTHING;
    }
    if (r.status !== 200) return fail(io, r);
    const body = r.body as { decisions: StatusBody['decisions']; refused?: { arm: string; says: string }[] };
    for (const d of body.decisions) io.out(`${d.route}/${d.arm}: ${d.action} ${d.fromPercent}% → ${d.toPercent}% — ${d.reason}`);
    for (const x of body.refused ?? []) io.out(`${route}/${x.arm}: unchanged — ${x.says}`);
    return EXIT.OK;
  };
}
