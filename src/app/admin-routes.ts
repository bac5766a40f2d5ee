/** The admin API's route table beyond the built-in views: every stage's reports and controls, keyed `METHOD /path`. */
import type { ConfigManager } from '../config/manager.js';
import type { AdminHandler, RoleHooks } from '../cluster/role.js';
import type { FleetMember } from '../fleet/join.js';
import type { Stores } from '../storage/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Traces } from '../traces/traces.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { BanditRuntime } from '../experiments/bandit.js';
import type { ExperimentResults } from '../experiments/results.js';
import type { RampStatus } from '../faults/ramp-runtime.js';
import { FAULT_SWITCH_KEY } from '../faults/switch-store.js';
import { diffRoutes } from '../admin/diffs-api.js';
import { rollupRoutes } from '../admin/rollups-api.js';
import { guardrailRoutes } from '../admin/guardrails-api.js';
import { fleetRoutes } from '../admin/fleet-api.js';
import { faultRoutes } from '../admin/faults-api.js';
import { experimentRoutes } from '../admin/experiments-api.js';
import { exportRoutes } from '../admin/experiment-export-api.js';
import type { MirrorStats } from './types.js';

/** What the routes read and act on. */
export interface AdminRoutesDeps {
  readonly config: ConfigManager;
  readonly stores: Pick<Stores, 'diffs' | 'guardrails' | 'experiments'>;
  readonly mirror: () => MirrorStats;
  /** GET /metrics. */
  readonly scrape: AdminHandler;
  /** The runtime manual actions go to (a fleet member's or a group primary's, where there is one). */
  readonly guardrails: GuardrailsRuntime;
  readonly bandits: Pick<BanditRuntime, 'status'>;
  readonly ramps: (route?: string) => readonly RampStatus[];
  readonly member: Pick<FleetMember, 'fleet' | 'faults'> | undefined;
  readonly hooks: Pick<RoleHooks, 'faultsSwitched' | 'routes'> | undefined;
  readonly results: ExperimentResults;
  readonly traces: Pick<Traces, 'profiles'> | undefined;
  /** The dashboard's pages and event stream. */
  readonly dashboard: Readonly<Record<string, AdminHandler>>;
  readonly log: Pick<Logger, 'warn' | 'error'>;
}

/**
 * The `routes:` of createAdminServer; a later key wins (a role's, then the dashboard's).
 * @example createAdminServer({ config, log, ready, startedAt, routes: adminRoutes(deps) })
 */
export function adminRoutes(deps: AdminRoutesDeps): Record<string, AdminHandler> {
  const { config, stores, member, hooks, log } = deps;
  return {
    ...diffRoutes({ store: stores.diffs, stats: deps.mirror, traceUrl: () => config.current().config.admin.traceUrl }),
    ...rollupRoutes(stores.guardrails),
    'GET /metrics': deps.scrape,
    ...guardrailRoutes(deps.guardrails, stores.guardrails, deps.bandits.status, deps.ramps),
    ...fleetRoutes(member?.fleet),
    ...faultRoutes(
      (on) => {
        const workers = hooks?.faultsSwitched?.(on);
        log.warn({ faults: on ? 'on' : 'off', ...(workers ? { workers } : {}) }, `fault injection switched ${on ? 'on' : 'off'}`);
        return workers;
      },
      (on) => {
        const at = Date.now();
        return stores.guardrails.saveState(FAULT_SWITCH_KEY, { enabled: on }, at).then(
          // On a PostgreSQL fleet every replica hears it (faults/fleet-switch.ts); the others also poll the row.
          () =>
            void member?.faults.announce(on, at).catch((err: unknown) => log.warn({ err }, 'fault switch not notified (replicas poll it)')),
          (err: unknown) => {
            log.error({ err }, 'fault switch not stored: a restart would start with the previous one');
            throw err;
          },
        );
      },
      member !== undefined,
    ),
    ...experimentRoutes(deps.results, deps.traces?.profiles),
    ...exportRoutes({ store: stores.experiments, current: config.current, log }),
    ...hooks?.routes,
    ...deps.dashboard,
  };
}
