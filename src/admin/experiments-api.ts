/**
 * Experiment results over the admin API: `GET /experiments.json[?route=NAME]` — goals, lift with
 * the anytime-valid confidence sequence and (once not early) the fixed-horizon interval, vital
 * signs and diagnostics per experiment route, and with `traces:` the arms' dependency profile. The shape is documented in README "Experiments".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FL_NO_EXPERIMENT, FL_ROUTE_NOT_FOUND } from '../errors.js';
import type { ArmProfiles, RouteProfile } from '../traces/arm-profiles.js';
import type { ExperimentResults } from '../experiments/results.js';
import { sendLocalReply } from '../net/local-reply.js';
import { storeErrorDef } from '../storage/store-error.js';
import { sendJson } from './server.js';

/** A route none of whose requests was traced yet. */
const NO_SPANS: RouteProfile = { arms: {}, operations: [], droppedOps: 0, note: 'no spans' };

/**
 * The admin route.
 * @example createAdminServer({ ..., routes: experimentRoutes(results) })
 */
export function experimentRoutes(
  results: ExperimentResults,
  profiles?: Pick<ArmProfiles, 'read'>,
): Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  return {
    'GET /experiments.json': async (req, res) => {
      const route = new URL(req.url ?? '/', 'http://admin').searchParams.get('route') ?? undefined;
      let out: Awaited<ReturnType<ExperimentResults['read']>>;
      let experiments: readonly object[];
      try {
        out = await results.read(route || undefined);
        // With `traces:`, each experiment carries its arms' dependency profile (README "Arm profiles"),
        // read from the store (every replica's minutes) plus the minutes not yet written.
        experiments = profiles
          ? await Promise.all(out.experiments.map(async (e) => ({ ...e, profile: (await profiles.read(e.route)) ?? NO_SPANS })))
          : out.experiments;
      } catch (err) {
        return sendLocalReply(res, storeErrorDef(err), undefined, err instanceof Error ? err.message : String(err));
      }
      if (out.missing === 'route') return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${route}" in the running config`);
      if (out.missing === 'experiment') return sendLocalReply(res, FL_NO_EXPERIMENT, undefined, `route "${route}" has no experiment:`);
      sendJson(res, { generatedAt: new Date().toISOString(), experiments });
    },
  };
}
