/**
 * The kill switch across a PostgreSQL fleet: `fieldlab faults off` on any replica stops faults on
 * every replica within a second. The replica that was switched stores the switch (the `fault:switch`
 * row, switch-store.ts) and then NOTIFYs it on a channel of the fleet's schema; every replica LISTENs
 * (fleet/listener.ts: a dedicated connection, probed, reconnected) and applies what it hears at
 * once, releasing held delays and response faults. A NOTIFY can be lost (a listener reconnecting, a
 * transaction-mode pooler), so each replica also reads the row every `pollMs` and applies it when it
 * changed since it last saw it — a change, never the row as such: a switch whose store write failed
 * here (`stored: false`) is not undone by the older row. Nothing here is on the request path.
 */
import type { PgDatabase } from '../storage/postgres/pool.js';
import type { Logger } from '../telemetry/logger.js';
import { startListener, type Listener } from '../fleet/listener.js';
import { faultState, setFaultsEnabled } from './control.js';
import { FAULT_SWITCH_KEY } from './switch-store.js';

/** The fleet's side of the switch. */
export interface FleetFaultSwitch {
  /** Tells every replica a switch this replica just stored (`at`: the stored row's time). */
  announce(enabled: boolean, at: number): Promise<void>;
  /** Whether the LISTEN connection is up and hears (else the poll carries the switch). */
  listening(): boolean;
  stop(): Promise<void>;
}

/** The row as seen last: a poll applies only a row that differs from it. */
interface Seen {
  enabled: boolean;
  at: number;
}

/**
 * @example const sw = startFleetFaultSwitch({ db, log, listen: true }); await sw.announce(false, Date.now())
 */
export function startFleetFaultSwitch(deps: { db: PgDatabase; log: Logger; listen: boolean; pollMs?: number }): FleetFaultSwitch {
  const { db, log } = deps;
  const channel = `fieldlab_faults_${db.target.schema}`;
  let seen: Seen | undefined;
  let stopped = false;

  const apply = (s: Seen, via: string) => {
    if (seen && seen.enabled === s.enabled && seen.at === s.at) return;
    seen = s;
    if (faultState().enabled === s.enabled) return;
    setFaultsEnabled(s.enabled);
    log.warn({ faults: s.enabled ? 'on' : 'off', via }, `fault injection switched ${s.enabled ? 'on' : 'off'} by another replica`);
  };
  const parse = (x: unknown, at: unknown): Seen | undefined => {
    const enabled = (x as { enabled?: unknown } | null)?.enabled;
    const when = Number(at);
    return typeof enabled === 'boolean' && Number.isFinite(when) ? { enabled, at: when } : undefined;
  };
  const poll = async () => {
    const [row] = await db.query<{ state: unknown; updated_at: string }>(
      `SELECT state, updated_at FROM ${db.t('guardrail_state')} WHERE route = $1`,
      [FAULT_SWITCH_KEY],
    );
    const s = row && parse(row.state, row.updated_at);
    // The first read only learns the row: the switch it holds was applied before listening (app.ts).
    if (!seen) seen = s ?? { enabled: faultState().enabled, at: 0 };
    else if (s) apply(s, 'poll');
  };
  let polling = false;
  const tick = () => {
    if (polling || stopped) return;
    polling = true;
    poll()
      .catch((err: unknown) => log.debug({ err }, 'fault switch poll failed'))
      .finally(() => (polling = false));
  };
  const timer = setInterval(tick, deps.pollMs ?? 1000);
  timer.unref();
  tick();
  const listener: Listener | undefined = deps.listen
    ? startListener({
        db,
        channel,
        onNotify: (payload) => {
          try {
            const m = JSON.parse(payload) as { enabled?: unknown; at?: unknown };
            const s = parse(m, m.at);
            if (s) apply(s, 'notify');
          } catch {
            // Not ours to act on: anything but {"enabled":bool,"at":ms} on the channel is ignored.
          }
        },
        // After a reconnect, what was notified meanwhile is read from the row.
        onReady: tick,
      })
    : undefined;

  return {
    async announce(enabled, at) {
      seen = { enabled, at };
      await db.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ enabled, at })]);
    },
    listening: () => listener?.connected() ?? false,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener?.stop();
    },
  };
}
