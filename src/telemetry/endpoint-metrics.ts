/**
 * Scrape-time families of upstream endpoints' passive health: whether each endpoint is down (from
 * its ejection until a connection succeeds, half-open included, so the gauge doesn't flap back to 1
 * between a dead endpoint's retries and reset an alert's `for:`) and how often it was ejected, for every upstream a live route uses — the arms' pools (`pool`
 * primary) and the shadows' own pools (`pool` shadow). The endpoint label is the URL's origin
 * (scheme, host and port: no userinfo, path or query, so no credential reaches a scrape).
 */
import type { Snapshot } from '../config/compile.js';
import type { Endpoint } from '../forward/pools.js';
import { endpointDown, type Upstream } from '../forward/upstream.js';
import type { MetricFamily, Sample } from './prom-text.js';

const origins = new WeakMap<Endpoint, string>();

function originOf(ep: Endpoint): string {
  let o = origins.get(ep);
  if (o === undefined) {
    try {
      o = new URL(ep.origin).origin;
    } catch {
      o = 'invalid';
    }
    origins.set(ep, o);
  }
  return o;
}

interface Row {
  readonly labels: Readonly<Record<string, string>>;
  up: number;
  ejections: number;
}

/**
 * The families for a snapshot at `now` (epoch ms).
 * @example endpointFamilies(config.current(), Date.now())
 */
export function endpointFamilies(snap: Pick<Snapshot, 'routes'>, now: number): MetricFamily[] {
  const rows = new Map<string, Row>();
  const seen = new Set<Endpoint>();
  const add = (pool: 'primary' | 'shadow', up: Upstream) => {
    for (const ep of up.endpoints) {
      if (seen.has(ep)) continue;
      seen.add(ep);
      const endpoint = originOf(ep);
      const key = `${pool}\0${up.name}\0${endpoint}`;
      let row = rows.get(key);
      // Two routes' shadows with different timeouts have two pools to one origin: one series, down if either is.
      if (!row) rows.set(key, (row = { labels: { upstream: up.name, endpoint, pool }, up: 1, ejections: 0 }));
      if (endpointDown(ep, now)) row.up = 0;
      row.ejections += ep.ejections;
    }
  };
  // Upstreams no route uses (a shadow-only upstream's unused primary pool) are not reported.
  for (const r of snap.routes) {
    for (const arm of r.arms) add('primary', arm.upstream);
    for (const s of r.shadows) {
      add('shadow', s.upstream);
      if (s.noise) add('shadow', s.noise);
    }
  }
  const up: Sample[] = [];
  const ejections: Sample[] = [];
  for (const row of rows.values()) {
    up.push({ labels: row.labels, value: row.up });
    ejections.push({ labels: row.labels, value: row.ejections });
  }
  return [
    {
      name: 'fieldlab_upstream_endpoint_up',
      help: '0 from an ejection (3 connect failures in a row) until a connection succeeds again, else 1',
      type: 'gauge',
      samples: up,
    },
    {
      name: 'fieldlab_upstream_endpoint_ejections_total',
      help: 'Times the endpoint was ejected (3 connect failures in a row; backoff 2 s doubling to 30 s)',
      type: 'counter',
      samples: ejections,
    },
  ];
}
