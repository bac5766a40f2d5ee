/**
 * `fieldlab fleet`: the replicas of a running Fieldlab's fleet (asked of any one of them through its
 * admin API), the decision each has applied per route, who decides, and warnings — different config
 * files among live replicas, replicas behind the newest decision, a replica cut off from the database.
 */
import type { FleetView } from '../fleet/view.js';
import { ADMIN_FLAGS, adminCall, adminTarget } from './admin-client.js';
import { fail } from './control.js';
import { type CommandSpec, readFlags } from './flags.js';
import { plural } from './plural.js';
import type { CliIo } from './io.js';

/** `fieldlab fleet`: its flags. */
export const FLEET: CommandSpec = {
  name: 'fleet',
  summary:
    'fleet mode (store: postgres://…): every replica, the decision each has applied, who decides; exit 1 on warnings (config digests differ)',
  flags: { json: { help: 'print GET /fleet as JSON' }, ...ADMIN_FLAGS },
};

/**
 * Renders `GET /fleet` as text.
 * @example renderFleet(view).split('\n')[0] // "fleet of 3 replicas (3 live), seen from edge-0"
 */
export function renderFleet(v: FleetView | { mode: 'single' }): string {
  if (v.mode === 'single') return 'Not a fleet: this Fieldlab stores to SQLite and decides alone (use store: postgres://… for a fleet).';
  const live = v.replicas.filter((r) => r.live).length;
  const lines = [`fleet of ${plural(v.replicas.length, 'replica')} (${live} live), seen from ${v.self.replica}`, ''];
  lines.push(
    `  ${'replica'.padEnd(24)} ${'live'.padEnd(5)} ${'seen'.padStart(6)}  ${'config'.padEnd(12)} ${'version'.padEnd(8)} decides / applied`,
  );
  for (const r of v.replicas) {
    const applied = Object.entries(r.applied).map(([route, a]) => `${route}#${a.seq}`);
    lines.push(
      `  ${r.replica.padEnd(24)} ${(r.live ? 'yes' : 'no').padEnd(5)} ${`${(r.lastSeenMsAgo / 1000).toFixed(1)}s`.padStart(6)}  ${r.configDigest.slice(0, 12).padEnd(12)} ${r.version.padEnd(8)} ${r.leads.length ? `decides ${r.leads.join(', ')}; ` : ''}${applied.length ? `applied ${applied.join(', ')}` : 'applied nothing yet'}`,
    );
  }
  if (v.routes.length > 0) {
    lines.push('', 'newest fleet decision per route');
    for (const r of v.routes) {
      const w = Object.entries(r.weights).map(([arm, p]) => `${arm} ${p}%`);
      lines.push(
        `  ${r.route}: #${r.seq} by ${r.decider} at ${new Date(r.at).toISOString()} → ${w.join(', ')}; ${r.behind.length ? `not yet applied by ${r.behind.join(', ')}` : 'applied by every live replica'}`,
      );
    }
  }
  if (v.warnings.length > 0) lines.push('', ...v.warnings.map((w) => `warning: ${w}`));
  return lines.join('\n');
}

/** `fieldlab fleet [--json] [--admin URL] [--token T] [--config FILE]`; exit 1 with warnings. */
export async function runFleet(args: string[], io: CliIo): Promise<number> {
  const parsed = readFlags(FLEET, args, io);
  if (typeof parsed === 'number') return parsed;
  const r = await adminCall(adminTarget(args, io), 'GET', '/fleet');
  if (r.status !== 200) return fail(io, r);
  const view = r.body as FleetView | { mode: 'single' };
  io.out(parsed.set.has('json') ? JSON.stringify(view, null, 2) : renderFleet(view));
  return view.mode === 'fleet' && view.warnings.length > 0 ? 1 : 0;
}
