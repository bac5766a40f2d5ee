/**
 * LISTEN on one dedicated connection (never a pooled one: a pool would hand the session to someone
 * else, and a transaction-mode pooler cannot carry LISTEN at all — point this at the server or a
 * session-mode pooler). node-postgres listeners can die silently (no 'error' on some network cuts),
 * so the connection is probed with `SELECT 1` every few seconds; on any failure it is dropped and
 * reopened with backoff, and `onReady` runs after every (re)connect so the caller re-syncs whatever
 * was notified while it was away. A session that answers but hears nothing — LISTEN through a
 * transaction-mode pooler, where the session that ran LISTEN goes back to the pool — is caught by
 * a probe: each probe also NOTIFYs a token of this listener's own through the pool, and a listener
 * that has not heard its last two is reported deaf (`connected()` false, `onDeaf`), so nobody
 * believes in a push that never comes; polling carries the decisions meanwhile.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { PgDatabase } from '../storage/postgres/pool.js';

/** Probes not heard before a listener is called deaf. */
const DEAF_AFTER = 2;

/** A running listener. */
export interface Listener {
  /** Whether LISTEN is active now and hears notifications (false while deaf). */
  connected(): boolean;
  /** LISTEN is up but hears none of its own probes (see the header). */
  deaf(): boolean;
  /** Reconnects so far (for metrics and tests). */
  reconnects(): number;
  stop(): Promise<void>;
}

/**
 * @example const l = startListener({ db, channel, onNotify: (p) => apply(JSON.parse(p)), onReady: resync })
 */
export function startListener(deps: {
  db: PgDatabase;
  channel: string;
  onNotify: (payload: string) => void;
  /** After every successful LISTEN (first connect and each reconnect). */
  onReady: () => void;
  onDown?: (err: Error) => void;
  /** LISTEN is up but its probes' notifications do not arrive (e.g. a transaction-mode pooler); once per episode. */
  onDeaf?: () => void;
  probeMs?: number;
  maxBackoffMs?: number;
}): Listener {
  const probeMs = deps.probeMs ?? 5000;
  const maxBackoff = deps.maxBackoffMs ?? 2000;
  let client: pg.Client | undefined;
  let live = false;
  let stopped = false;
  let reconnects = 0;
  let attempts = 0;
  let everConnected = false;
  let retry: NodeJS.Timeout | undefined;
  let probe: NodeJS.Timeout | undefined;
  // Probe notifications carry this token; every listener on the channel drops probes (no re-sync).
  const token = randomBytes(6).toString('hex');
  const probePrefix = '{"probe":';
  const probePayload = `${probePrefix}"${token}"}`;
  let unheard = 0;
  let deaf = false;

  const drop = (err: Error) => {
    if (!client) return;
    const c = client;
    client = undefined;
    const wasLive = live;
    live = false;
    clearInterval(probe);
    c.removeAllListeners('notification');
    void c.end().catch(() => undefined);
    if (wasLive) deps.onDown?.(err);
    schedule();
  };

  const schedule = () => {
    if (stopped || retry) return;
    // 100 ms, 200 ms, … capped: a restarted server is picked up within the cap.
    const wait = Math.min(maxBackoff, 100 * 2 ** Math.min(attempts++, 5));
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, wait);
    retry.unref();
  };

  const connect = async () => {
    if (stopped) return;
    const c = deps.db.dedicatedClient();
    client = c;
    c.on('error', (err) => drop(err));
    c.on('end', () => drop(new Error('listener connection ended')));
    c.on('notification', (m) => {
      if (m.channel !== deps.channel || m.payload === undefined) return;
      if (!m.payload.startsWith(probePrefix)) return deps.onNotify(m.payload);
      if (m.payload === probePayload) {
        unheard = 0;
        deaf = false;
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${deps.channel}"`);
    } catch (err) {
      drop(err as Error);
      return;
    }
    if (client !== c || stopped) return;
    if (everConnected) reconnects++;
    everConnected = true;
    attempts = 0;
    live = true;
    unheard = 0;
    probe = setInterval(() => {
      c.query('SELECT 1').catch((err: Error) => drop(err));
      if (unheard >= DEAF_AFTER && !deaf) {
        deaf = true;
        deps.onDeaf?.();
      }
      unheard++;
      // Through the pool, as every decision's NOTIFY is sent: a failed send is not counted against the listener.
      deps.db.query('SELECT pg_notify($1, $2)', [deps.channel, probePayload]).catch(() => unheard--);
    }, probeMs);
    probe.unref();
    deps.onReady();
  };

  void connect();
  return {
    connected: () => live && !deaf,
    deaf: () => live && deaf,
    reconnects: () => reconnects,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(probe);
      const c = client;
      client = undefined;
      live = false;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
