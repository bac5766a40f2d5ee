/**
 * The fault kill switch over HTTP: `POST /faults/off` stops every fault of this process at once
 * (held delays are released), `POST /faults/on` allows them again, `GET /faults` shows the switch,
 * the faults in progress and the injected/skipped counts per route. Writes need the write token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultState, setFaultsEnabled } from '../faults/control.js';
import { faultCounts } from '../faults/fault-stats.js';
import { sendJson } from './server.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * @example createAdminServer({ ..., routes: { ...faultRoutes((on) => log.warn({ on }, 'faults switched')) } })
 */
export function faultRoutes(onSwitch: (on: boolean) => void = () => undefined): Record<string, Handler> {
  const body = () => ({ ...faultState(), routes: faultCounts() });
  const set =
    (on: boolean): Handler =>
    (_req, res) => {
      setFaultsEnabled(on);
      onSwitch(on);
      sendJson(res, body());
    };
  return {
    'GET /faults': (_req, res) => sendJson(res, body()),
    'POST /faults/off': set(false),
    'POST /faults/on': set(true),
  };
}
