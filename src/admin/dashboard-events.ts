/**
 * The dashboard's Server-Sent Events stream (`GET /dashboard/events?route=&since=`). One timer for all
 * browsers, aligned just after each second closes: every tick reads the newest decisions from the store
 * once, rebuilds the overview once, and sends each client only what is new to it — the seconds it has
 * not seen of its route's live series, the overview when it changed, decisions it has not seen. So
 * the cost is per tick, not per browser, and data on screen is at most about a second old.
 * Bounded: at most `maxClients` streams (then 503 FL_DASHBOARD_BUSY), and a client whose socket holds
 * more than `maxBufferBytes` unsent is cut — a slow browser is dropped, never buffered without bound.
 * The page closes its stream while the tab is hidden and reconnects with `since=` to fill the gap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { raceDeadline } from '../async/deadline.js';
import { FL_DASHBOARD_BUSY } from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { DecisionRecord } from '../storage/guardrail-types.js';
import type { LiveSeries } from '../telemetry/live-series.js';
import { type DashboardModel, type DecisionMark, toMark } from './dashboard-model.js';

/** What the stream reads. */
export interface EventHubDeps {
  readonly live: LiveSeries;
  /** The overview given the newest decisions (newest first). */
  model(recent: readonly DecisionRecord[], now: number): DashboardModel;
  /** The newest decisions, newest first. */
  decisions(limit: number): Promise<DecisionRecord[]>;
  readonly now?: () => number;
  readonly maxClients?: number;
  readonly maxBufferBytes?: number;
}

/** The hub: a request handler and its counters. */
export interface EventHub {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stats(): { clients: number; refused: number; dropped: number; ticks: number };
  close(): void;
}

interface Client {
  readonly res: ServerResponse;
  readonly route: string | undefined;
  /** Next second of the live series to send. */
  next: number;
  lastModel: string;
}

const RECENT = 100;
const STORE_WAIT_MS = 1500;
const PING_TICKS = 15;

/**
 * The model as each client is sent it: a route page gets its own route's trace exemplars only, the
 * overview none (it draws none), so a busy route's exemplars don't reach every browser every second.
 * One string per route asked for in a tick, shared by its clients.
 */
function modelStrings(m: DashboardModel): (route: string | undefined) => string {
  const memo = new Map<string | undefined, string>();
  return (route) => {
    let s = memo.get(route);
    if (s === undefined) {
      const routes = m.routes.map((r) => (r.name === route || r.exemplars.length === 0 ? r : { ...r, exemplars: [] }));
      memo.set(route, (s = JSON.stringify({ ...m, routes })));
    }
    return s;
  };
}

const key = (d: DecisionRecord) => `${d.at}|${d.route}|${d.arm}|${d.action}`;

/**
 * Creates the hub; `handle` serves `GET /dashboard/events`.
 * @example const hub = createEventHub({ live, model, decisions: (n) => store.decisions({ limit: n }) })
 */
export function createEventHub(deps: EventHubDeps): EventHub {
  const now = deps.now ?? Date.now;
  const maxClients = deps.maxClients ?? 16;
  const maxBuffer = deps.maxBufferBytes ?? 1 << 20;
  const clients = new Set<Client>();
  let recent: DecisionRecord[] = [];
  let seen = new Set<string>();
  let loaded = false;
  let refused = 0;
  let dropped = 0;
  let ticks = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let closed = false;

  /** Reads the newest decisions; returns those not seen before. A failing store keeps the last list. */
  const refresh = async (): Promise<DecisionRecord[]> => {
    let rows: DecisionRecord[] | undefined;
    // A slow store must not stall the live series of every browser: past the bound, this tick goes without.
    const read = Promise.resolve()
      .then(() => deps.decisions(RECENT))
      .then((r) => void (rows = r));
    if ((await raceDeadline(read, STORE_WAIT_MS)) === 'deadline' || rows === undefined) return [];
    const fresh = loaded ? rows.filter((d) => !seen.has(key(d))) : [];
    recent = rows;
    seen = new Set(rows.map(key));
    loaded = true;
    return fresh;
  };

  const send = (c: Client, event: string, data: unknown): void => {
    if (c.res.destroyed) return;
    c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const marks = (c: Client, rows: readonly DecisionRecord[]): DecisionMark[] =>
    rows.filter((d) => c.route === undefined || d.route === c.route).map(toMark);

  const sendSeries = (c: Client): void => {
    if (c.route === undefined) return;
    const slice = deps.live.read(c.route, c.next);
    if (slice.to <= c.next) return;
    c.next = slice.to;
    send(c, 'series', slice);
  };

  const sendModel = (c: Client, model: string): void => {
    if (model === c.lastModel || c.res.destroyed) return;
    c.lastModel = model;
    c.res.write(`event: model\ndata: ${model}\n\n`);
  };

  // A client that can't keep up is cut: its socket buffer is the only queue, and it is bounded.
  const trim = (c: Client): void => {
    if (c.res.destroyed || c.res.writableLength <= maxBuffer) return;
    dropped++;
    clients.delete(c);
    c.res.destroy();
  };

  const tick = async (): Promise<void> => {
    if (running || clients.size === 0) return;
    running = true;
    try {
      ticks++;
      const fresh = await refresh();
      const model = modelStrings(deps.model(recent, now()));
      for (const c of clients) {
        sendSeries(c);
        sendModel(c, model(c.route));
        const m = marks(c, fresh);
        if (m.length > 0) send(c, 'decisions', m);
        if (ticks % PING_TICKS === 0 && !c.res.destroyed) c.res.write(': ping\n\n');
        trim(c);
      }
    } finally {
      running = false;
    }
  };

  // Runs ~100 ms after each second boundary (the second just closed is complete), while anyone listens.
  const schedule = (): void => {
    if (timer || closed || clients.size === 0) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        void tick().finally(schedule);
      },
      1100 - (now() % 1000),
    );
    timer.unref();
  };

  return {
    async handle(req, res) {
      if (clients.size >= maxClients) {
        refused++;
        return sendLocalReply(res, FL_DASHBOARD_BUSY, undefined);
      }
      const q = new URL(req.url ?? '/', 'http://admin').searchParams;
      const sinceSec = Number(q.get('since'));
      const c: Client = {
        res,
        route: q.get('route') ?? undefined,
        next: Number.isFinite(sinceSec) && sinceSec > 0 ? Math.floor(sinceSec) : 0,
        lastModel: '',
      };
      clients.add(c);
      const gone = () => clients.delete(c);
      res.on('close', gone);
      res.on('error', gone);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n\n`);
      send(c, 'hello', { now: now(), route: c.route ?? null });
      if (!loaded) await refresh();
      sendModel(c, modelStrings(deps.model(recent, now()))(c.route));
      send(c, 'decisions', marks(c, recent));
      sendSeries(c);
      trim(c);
      schedule();
    },
    stats: () => ({ clients: clients.size, refused, dropped, ticks }),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const c of clients) c.res.end();
      clients.clear();
    },
  };
}
