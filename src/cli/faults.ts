/**
 * `fieldlab faults off|on|status`: the fault-injection kill switch of a running Fieldlab, through its
 * admin API (POST /faults/off, POST /faults/on, GET /faults), like the manual controls in control.ts.
 */
import { ADMIN_FLAGS, adminCall, adminTarget } from './admin-client.js';
import { fail } from './control.js';
import { EXIT } from './exit-codes.js';
import { type CommandSpec, readFlags } from './flags.js';
import type { CliIo } from './io.js';

/** `fieldlab faults`: its flags. */
export const FAULTS: CommandSpec = {
  name: 'faults',
  positional: 'off|on|status',
  positionals: 1,
  summary: 'fault injection kill switch: off stops every fault of the process at once (held delays released); on allows them again',
  flags: { json: { help: 'print GET /faults as JSON' }, ...ADMIN_FLAGS },
};

interface FaultsBody {
  enabled: boolean;
  changedAt: string;
  active: Record<string, number>;
  /** With `workers: N`: how many workers the last switch reached. */
  workers?: { told: number; of: number };
  /** A PostgreSQL fleet: a stored switch is announced to every replica. */
  fleet?: boolean;
  routes: Record<string, { injected: Record<string, number>; skipped: Record<string, number> }>;
}

/**
 * `fieldlab faults off|on|status [--json] [--admin URL] [--token T] [--config FILE]`.
 * @example await runFaults(['off'], io) // 0: "faults off since …"
 */
export async function runFaults(args: string[], io: CliIo): Promise<number> {
  const parsed = readFlags(FAULTS, args, io);
  if (typeof parsed === 'number') return parsed;
  const what = parsed.positionals[0];
  if (what !== 'off' && what !== 'on' && what !== 'status') {
    io.err(
      `fieldlab faults: say off, on or status${what ? ` (not "${what}")` : ''}\nusage: fieldlab faults off|on|status [--json] [--admin URL] [--token TOKEN]`,
    );
    return EXIT.USAGE;
  }
  const r = await adminCall(adminTarget(args, io), what === 'status' ? 'GET' : 'POST', what === 'status' ? '/faults' : `/faults/${what}`);
  if (r.status !== 200) return fail(io, r);
  const b = r.body as FaultsBody;
  if (parsed.set.has('json')) {
    io.out(JSON.stringify(b, null, 2));
    return EXIT.OK;
  }
  const here = b.workers ? `${b.workers.told} of ${b.workers.of} workers told` : 'this process';
  const reach = b.fleet ? `${here}; every replica of the fleet once stored` : here;
  io.out(`faults ${b.enabled ? 'on' : 'off'} since ${b.changedAt} (${reach})`);
  for (const [route, c] of Object.entries(b.routes)) {
    const injected = Object.entries(c.injected)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    io.out(
      `  ${route}: injected ${injected}; skipped off ${c.skipped.off ?? 0}, max-active ${c.skipped['max-active'] ?? 0}; active ${b.active[route] ?? 0}`,
    );
  }
  return EXIT.OK;
}
