/**
 * What `GET /fleet` and `fieldlab fleet` show: every replica (live or recently seen) with the
 * decision it has applied per route, who decides each route, the newest fleet decisions, whether
 * each route has converged (every live replica applied its newest decision), and warnings — above
 * all when live replicas run different config files (their digests differ).
 */
import type { FleetDecision } from './decision-log.js';
import type { FleetLocal } from './fleet.js';
import type { ReplicaRow } from './replicas.js';

/** The fleet as one replica sees it. */
export interface FleetView {
  readonly mode: 'fleet';
  readonly self: FleetLocal;
  readonly replicas: readonly ReplicaRow[];
  /** Newest decision per route, and which live replicas have not applied it yet. */
  readonly routes: readonly {
    route: string;
    seq: number;
    decider: string;
    at: number;
    weights: Record<string, number>;
    behind: string[];
  }[];
  readonly warnings: readonly string[];
}

/**
 * @example buildFleetView(fleet.local(), await fleet.replicas(), latest)
 */
export function buildFleetView(self: FleetLocal, replicas: readonly ReplicaRow[], latest: readonly FleetDecision[]): FleetView {
  const live = replicas.filter((r) => r.live);
  const warnings: string[] = [];
  const digests = new Map<string, string[]>();
  for (const r of live) digests.set(r.configDigest, [...(digests.get(r.configDigest) ?? []), r.replica]);
  if (digests.size > 1)
    warnings.push(
      `config differs between live replicas: ${[...digests].map(([d, names]) => `${d.slice(0, 12)} on ${names.join(', ')}`).join('; ')}`,
    );
  const versions = new Set(live.map((r) => r.version));
  if (versions.size > 1) warnings.push(`live replicas run different Fieldlab versions: ${[...versions].join(', ')}`);
  if (self.listenDeaf)
    warnings.push(
      `${self.replica} hears no NOTIFY on its LISTEN connection (a transaction-mode pooler?): decisions reach it only by polling`,
    );
  if (self.partitioned) warnings.push(`${self.replica} cannot reach the database: it serves its last weights and decides rollbacks alone`);
  const routes = latest.map((d) => ({
    route: d.route,
    seq: d.seq,
    decider: d.replica,
    at: d.at,
    weights: d.weights,
    behind: live.filter((r) => (r.applied[d.route]?.seq ?? 0) < d.seq).map((r) => r.replica),
  }));
  for (const r of routes)
    if (r.behind.length > 0) warnings.push(`route ${r.route}: decision #${r.seq} not yet applied by ${r.behind.join(', ')}`);
  return { mode: 'fleet', self, replicas, routes, warnings };
}
