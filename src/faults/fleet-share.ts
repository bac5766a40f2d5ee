/**
 * One fault.maxActive for a whole PostgreSQL fleet, with no database work per request: once a
 * second each replica that serves traffic reads the fleet's live serving replicas (heartbeats,
 * fleet/replicas.ts) and takes its part of every route's cap by its rank in instance order
 * (control.ts `shareOf`: the parts add up to exactly maxActive). The request path only compares
 * its own count with its own part.
 *
 * A joining replica takes no part until it has seen its own heartbeat in two reads in a row, by
 * which time the others have read it too and lowered theirs, so the parts never add up to more
 * than the cap for longer than the faults already in progress take to end (a lowered part admits
 * nothing new while over it). A replica that stops beating is not live after 3 s, and the others
 * take its part. Cut off from the database, a replica keeps its last part.
 */
import type { PgDatabase } from '../storage/postgres/pool.js';
import type { Logger } from '../telemetry/logger.js';
import { liveServing } from '../fleet/replicas.js';
import { setFaultShare } from './control.js';

/** Reads in a row that must show this replica before it takes a part. */
const SEEN_READS = 2;

/**
 * @example const share = startFleetFaultShare({ db, instance: me.instance, log }); await share.stop()
 */
export function startFleetFaultShare(deps: { db: PgDatabase; instance: string; log: Logger; liveMs?: number; everyMs?: number }): {
  stop(): void;
} {
  const liveMs = deps.liveMs ?? 3000;
  let seenReads = 0;
  let last = '';
  // No part until the fleet's view is known: a fault not injected harms nobody; one over the cap might.
  setFaultShare(0, 0);
  let reading = false;
  const read = async () => {
    const live = await liveServing(deps.db, liveMs);
    const rank = live.indexOf(deps.instance);
    seenReads = rank < 0 ? 0 : seenReads + 1;
    const [r, of] = seenReads >= SEEN_READS ? [rank, live.length] : [0, 0];
    setFaultShare(r, of);
    const now = `${r}/${of}`;
    if (now !== last) deps.log.info({ type: 'fault-share', rank: r, of }, 'fault.maxActive share of this replica changed');
    last = now;
  };
  const tick = () => {
    if (reading) return;
    reading = true;
    read()
      .catch((err: unknown) => deps.log.debug({ err }, 'fault share not read (keeping the last one)'))
      .finally(() => (reading = false));
  };
  const timer = setInterval(tick, deps.everyMs ?? 1000);
  timer.unref();
  tick();
  return { stop: () => clearInterval(timer) };
}
