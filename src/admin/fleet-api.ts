/**
 * `GET /fleet`: the replicas of this Fieldlab's fleet, the decision each has applied, and warnings
 * (config digests that differ, replicas behind). A single process (SQLite store) answers with
 * `mode: "single"`; a replica that cannot reach the database answers 503 FL_FLEET_UNAVAILABLE.
 * Timestamps (`at`, `startedAt`) are ISO strings.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FL_FLEET_UNAVAILABLE } from '../errors.js';
import type { Fleet } from '../fleet/fleet.js';
import { buildFleetView } from '../fleet/view.js';
import { toJsonSafe } from '../net/json-safe.js';
import { sendLocalReply } from '../net/local-reply.js';
import { sendJson } from './server.js';

/**
 * @example createAdminServer({ ..., routes: { ...fleetRoutes(fleet) } })
 */
export function fleetRoutes(fleet: Fleet | undefined): Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> {
  return {
    'GET /fleet': async (_req, res) => {
      if (!fleet) return sendJson(res, { mode: 'single', replicas: [], routes: [], warnings: [] });
      try {
        const [replicas, latest] = await Promise.all([fleet.replicas(), fleet.latest()]);
        // ISO timestamps, as in /status, /decisions.json and the webhook.
        sendJson(res, toJsonSafe(buildFleetView(fleet.local(), replicas, latest)));
      } catch (err) {
        const self = fleet.local();
        sendLocalReply(
          res,
          FL_FLEET_UNAVAILABLE,
          undefined,
          `${FL_FLEET_UNAVAILABLE.message} (${(err as Error).message}); ${self.replica} is ${self.partitioned ? 'partitioned' : 'reconnecting'}`,
        );
      }
    },
  };
}
