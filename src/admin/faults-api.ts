/**
 * The fault kill switch over HTTP: `POST /faults/off` stops every fault of this process at once
 * (held delays are released), `POST /faults/on` allows them again, `GET /faults` shows the switch,
 * the faults in progress and the injected/skipped counts per route. Writes need the write token.
 * With `workers: N` the primary sends the switch to every worker (cluster/primary.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultState, setFaultsEnabled } from '../faults/control.js';
import { faultCounts } from '../faults/fault-stats.js';
import { sendJson } from './server.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** With `workers: N`: how many workers the last switch reached (their channel took the message) of how many. */
export type WorkersTold = { told: number; of: number };

/**
 * `onSwitch` returns, with `workers: N`, how many workers were told; it is in the answer and in
 * GET /faults (`workers`), so a partial switch is visible instead of a plain OK. `save` stores the
 * switch (switch-store.ts); the answer waits for it and says `stored: true|false`. `fleet`: the
 * store is a PostgreSQL fleet's, so a stored switch reaches every replica (the answer says `fleet: true`).
 * @example createAdminServer({ ..., routes: { ...faultRoutes((on) => log.warn({ on }, 'faults switched')) } })
 */
export function faultRoutes(
  onSwitch: (on: boolean) => WorkersTold | undefined = () => undefined,
  save?: (on: boolean) => Promise<void>,
  fleet = false,
): Record<string, Handler> {
  let workers: WorkersTold | undefined;
  // `fleet: true`: a PostgreSQL fleet, where a stored switch is announced to every replica (faults/fleet-switch.ts).
  const body = () => ({ ...faultState(), ...(workers ? { workers } : {}), ...(fleet ? { fleet } : {}), routes: faultCounts() });
  const set =
    (on: boolean): Handler =>
    (_req, res) => {
      // In effect before the store answers: the switch must never wait on a slow store.
      setFaultsEnabled(on);
      workers = onSwitch(on);
      if (!save) return sendJson(res, body());
      void save(on).then(
        () => sendJson(res, { ...body(), stored: true }),
        () => sendJson(res, { ...body(), stored: false }),
      );
    };
  return {
    'GET /faults': (_req, res) => sendJson(res, body()),
    'POST /faults/off': set(false),
    'POST /faults/on': set(true),
  };
}
