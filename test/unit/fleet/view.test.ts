// What `GET /fleet` warns about, from one replica's view of the heartbeats and the newest decisions.
import { describe, expect, it } from 'vitest';
import type { FleetDecision } from '../../../src/fleet/decision-log.js';
import type { FleetLocal } from '../../../src/fleet/fleet.js';
import type { ReplicaRow } from '../../../src/fleet/replicas.js';
import { buildFleetView } from '../../../src/fleet/view.js';

const self = (over: Partial<FleetLocal> = {}): FleetLocal => ({
  replica: 'edge-0',
  instance: 'edge-0#a',
  partitioned: false,
  listening: true,
  listenDeaf: false,
  leads: [],
  applied: {},
  droppedSeconds: 0,
  ...over,
});
const row = (replica: string, over: Partial<ReplicaRow> = {}): ReplicaRow => ({
  replica,
  instance: `${replica}#a`,
  host: 'h',
  pid: 1,
  startedAt: 0,
  lastSeenMsAgo: 100,
  live: true,
  version: '1.0.0',
  configDigest: 'd'.repeat(64),
  applied: { checkout: { seq: 7, at: 0 } },
  leads: [],
  evidenceThrough: 0,
  ...over,
});
const decision: FleetDecision = {
  seq: 7,
  route: 'checkout',
  epoch: 2,
  replica: 'edge-1',
  at: 5,
  weights: { variant: 0 },
  decisions: [],
  state: null,
  createdAt: 5,
};

describe('buildFleetView', () => {
  it('has no warnings when every live replica agrees and applied the newest decision', () => {
    const v = buildFleetView(self(), [row('edge-0'), row('edge-1')], [decision]);
    expect(v.warnings).toEqual([]);
    expect(v.routes).toEqual([{ route: 'checkout', seq: 7, decider: 'edge-1', at: 5, weights: { variant: 0 }, behind: [] }]);
  });
  it('warns about config drift, versions, replicas behind, a partition and a deaf LISTEN; dead replicas do not count', () => {
    const v = buildFleetView(
      self({ partitioned: true, listenDeaf: true, listening: false }),
      [
        row('edge-0'),
        row('edge-1', { configDigest: 'e'.repeat(64), version: '1.1.0', applied: { checkout: { seq: 6, at: 0 } } }),
        row('edge-9', { live: false, configDigest: 'f'.repeat(64), applied: {} }),
      ],
      [decision],
    );
    expect(v.routes[0]!.behind).toEqual(['edge-1']);
    expect(v.warnings).toEqual([
      `config differs between live replicas: ${'d'.repeat(12)} on edge-0; ${'e'.repeat(12)} on edge-1`,
      'live replicas run different Fieldlab versions: 1.0.0, 1.1.0',
      'edge-0 hears no NOTIFY on its LISTEN connection (a transaction-mode pooler?): decisions reach it only by polling',
      'edge-0 cannot reach the database: it serves its last weights and decides rollbacks alone',
      'route checkout: decision #7 not yet applied by edge-1',
    ]);
  });
});
