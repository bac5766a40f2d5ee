/**
 * The primary's workers: forks them (node:cluster, so the IPC channel and — with `cluster`
 * sharing — the listening socket come with it), restarts a crashed one with backoff (backoff.ts),
 * logs every exit with its code or signal, and drains them all on shutdown. Each worker gets a
 * bounded channel (channel.ts): a worker that stops reading costs dropped, counted messages.
 */
import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { FL_STARTUP_FAILED } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { nextRestart } from './backoff.js';
import { createChannel, type Channel } from './channel.js';
import { parseWorkerMessage, type PrimaryMessage, type WorkerMessage } from './protocol.js';
import type { Sharing } from './sharing.js';

/** One worker slot as GET /workers shows it. */
export interface SlotView {
  readonly index: number;
  readonly pid: number | null;
  readonly state: 'starting' | 'ready' | 'restarting' | 'crash-loop' | 'stopped';
  readonly restarts: number;
  readonly startedAt: string | null;
  readonly lastExit: { readonly code: number | null; readonly signal: string | null; readonly at: string } | null;
}

interface Slot {
  index: number;
  /** Listened at least once (a first start that fails fails the whole start). */
  everReady: boolean;
  /** When its process last sent anything (it sends metrics every second). */
  lastHeard: number;
  /** Why its last process could not start (its `failed` message). */
  failure?: { code: string; message: string };
  worker?: Worker;
  channel?: Channel<PrimaryMessage>;
  state: SlotView['state'];
  restarts: number;
  crashes: number;
  startedAt?: number;
  lastExit?: { code: number | null; signal: string | null; at: number };
  timer?: NodeJS.Timeout;
}

/** The supervisor. */
export interface Supervisor {
  /**
   * Forks every worker; resolves once each has listened. Rejects (with the worker's code and
   * reason) if one exits before it ever listened: a start that cannot serve fails, as a single
   * process's does, instead of retrying behind a primary that looks alive.
   */
  start(): Promise<void>;
  /** Sends `m` to every running worker (dropped and counted for a worker whose channel is full). */
  /** Returns how many ready workers' channels took it. */
  broadcast(m: PrimaryMessage): number;
  send(index: number, m: PrimaryMessage): void;
  slots(): SlotView[];
  stats(): { restarts: number; dropped: number; malformed: number; ready: number; crashLooping: number };
  /** Tells every worker to drain, waits up to `deadlineMs`, kills what is left; true when all exited 0. */
  drain(deadlineMs: number): Promise<boolean>;
}

/** A ready worker silent this long (it pushes metrics every second) is hung: killed and restarted. */
const UNRESPONSIVE_MS = 10_000;
/** Unwritten messages per worker before the next is dropped. */
const CHANNEL_MAX = 256;
const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/**
 * @example const sup = createSupervisor({ count: 2, sharing: 'cluster', configFile, log, onMessage }); await sup.start()
 */
export function createSupervisor(opts: {
  count: number;
  sharing: Sharing;
  configFile: string;
  /** The config text a new worker starts from (the primary's live one). */
  configText(): string;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Every slot is given up (crash loop everywhere): the group cannot serve any more. */
  onAllFailed(): void;
  onMessage(index: number, m: WorkerMessage): void;
  /** The worker of `index` is gone (exited or killed). */
  onGone(index: number): void;
}): Supervisor {
  const slots: Slot[] = Array.from({ length: opts.count }, (_, i) => ({
    index: i + 1,
    state: 'starting',
    restarts: 0,
    crashes: 0,
    everReady: false,
    lastHeard: 0,
  }));
  let failStart: ((err: Error) => void) | undefined;
  let draining = false;
  let sharedPort: number | undefined;
  let restarts = 0;
  let malformed = 0;
  let lostMessages = 0;
  const readyWaiters = new Map<number, () => void>();
  cluster.setupPrimary({ exec: WORKER_MAIN, args: [], serialization: 'advanced' });

  const fork = (slot: Slot) => {
    const worker = cluster.fork({
      FIELDLAB_WORKER_INDEX: String(slot.index),
      FIELDLAB_WORKER_COUNT: String(opts.count),
      FIELDLAB_WORKER_CONFIG: opts.configFile,
      FIELDLAB_WORKER_SHARING: opts.sharing,
      ...(sharedPort !== undefined ? { FIELDLAB_WORKER_PORT: String(sharedPort) } : {}),
      // PostgreSQL: every worker is a fleet replica with a name of its own.
      FIELDLAB_REPLICA_ID: `${opts.env.FIELDLAB_REPLICA_ID?.trim() || `${hostname()}-${process.pid}`}-w${slot.index}`,
    });
    slot.worker = worker;
    slot.state = 'starting';
    slot.startedAt = Date.now();
    const channel = createChannel<PrimaryMessage>((m, done) => worker.send(m, undefined, {}, done), { max: CHANNEL_MAX });
    slot.channel = channel;
    slot.failure = undefined;
    worker.on('message', (raw: unknown) => {
      slot.lastHeard = Date.now();
      const m = parseWorkerMessage(raw);
      if (!m) {
        malformed++;
        return;
      }
      // The worker waits for this before it loads anything.
      if (m.t === 'hello') channel.send({ t: 'config', text: opts.configText() });
      if (m.t === 'failed') slot.failure = { code: m.code, message: m.message };
      if (m.t === 'ready') {
        slot.state = 'ready';
        slot.everReady = true;
        sharedPort ??= m.port;
        readyWaiters.get(slot.index)?.();
      }
      opts.onMessage(slot.index, m);
    });
    // An IPC error (the worker died mid-write) is an exit soon; it must not crash the primary.
    worker.on('error', (err) => opts.log.debug({ err, worker: slot.index }, 'worker channel error'));
    // A worker that could not start sends `failed` just before it exits; give that message a
    // moment to arrive, since `exit` can overtake the last bytes on the channel.
    worker.once('exit', (code, signal) => void setTimeout(() => exited(code, signal), slot.everReady ? 0 : 100));
    const exited = (code: number | null, signal: string | null) => {
      lostMessages += channel.dropped();
      slot.worker = undefined;
      slot.channel = undefined;
      const upMs = Date.now() - (slot.startedAt ?? Date.now());
      slot.lastExit = { code, signal, at: Date.now() };
      opts.onGone(slot.index);
      if (!(!slot.everReady && failStart)) readyWaiters.get(slot.index)?.();
      if (draining) {
        slot.state = 'stopped';
        opts.log.info({ worker: slot.index, pid: worker.process.pid, code, signal }, 'worker stopped');
        return;
      }
      if (!slot.everReady && failStart) {
        slot.state = 'stopped';
        const why = slot.failure ?? { code: FL_STARTUP_FAILED.code, message: `exited (code ${code}, signal ${signal}) before it listened` };
        failStart(Object.assign(new Error(`worker ${slot.index}: ${why.message}`), { code: why.code }));
        return;
      }
      const next = nextRestart(slot.crashes, upMs);
      slot.crashes = next.crashes;
      if ('giveUp' in next) {
        slot.state = 'crash-loop';
        opts.log.error(
          { type: 'worker-exit', worker: slot.index, pid: worker.process.pid, code, signal, crashes: next.crashes, failure: slot.failure },
          'worker keeps crashing; not restarting it (crash loop)',
        );
        if (slots.every((s) => s.state === 'crash-loop')) opts.onAllFailed();
        return;
      }
      slot.state = 'restarting';
      opts.log.error(
        {
          type: 'worker-exit',
          worker: slot.index,
          pid: worker.process.pid,
          code,
          signal,
          upMs,
          restartInMs: next.delayMs,
          failure: slot.failure,
        },
        'worker exited; restarting it',
      );
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (draining) return;
        restarts++;
        slot.restarts++;
        fork(slot);
      }, next.delayMs);
    };
  };

  const whenReady = (slot: Slot) =>
    new Promise<void>((resolve) => {
      readyWaiters.set(slot.index, () => {
        readyWaiters.delete(slot.index);
        resolve();
      });
    });

  // A stopped or wedged worker still holds its connections and (with reusePort) its share of new ones.
  const liveness = setInterval(() => {
    if (draining) return;
    for (const s of slots) {
      if (s.state !== 'ready' || !s.worker || Date.now() - s.lastHeard < UNRESPONSIVE_MS) continue;
      opts.log.error(
        { type: 'worker-unresponsive', worker: s.index, pid: s.worker.process.pid, silentMs: Date.now() - s.lastHeard },
        'worker unresponsive; killing it',
      );
      s.state = 'restarting';
      s.worker.process.kill('SIGKILL');
    }
  }, 1000);
  liveness.unref();

  const forkAll = async (first: Slot, rest: Slot[]) => {
    const firstReady = whenReady(first);
    fork(first);
    // reusePort with `listen: …:0`: the first worker picks the port, the others bind that one.
    if (opts.sharing === 'reuseport') await firstReady;
    const others = rest.map((s) => {
      const ready = whenReady(s);
      fork(s);
      return ready;
    });
    await Promise.all([firstReady, ...others]);
  };

  return {
    async start() {
      const [first, ...rest] = slots;
      if (!first) return;
      const failed = new Promise<never>((_, reject) => {
        failStart = reject;
      });
      failed.catch(() => undefined);
      try {
        await Promise.race([failed, forkAll(first, rest)]);
      } finally {
        failStart = undefined;
      }
    },
    broadcast(m) {
      let told = 0;
      for (const s of slots) {
        if (!s.channel || s.state !== 'ready') continue;
        if (s.channel.send(m)) told++;
        else lostMessages++;
      }
      return told;
    },
    send(index, m) {
      const s = slots[index - 1];
      if (s?.channel && !s.channel.send(m)) lostMessages++;
    },
    slots: () =>
      slots.map((s) => ({
        index: s.index,
        pid: s.worker?.process.pid ?? null,
        state: s.state,
        restarts: s.restarts,
        startedAt: s.worker && s.startedAt ? new Date(s.startedAt).toISOString() : null,
        lastExit: s.lastExit ? { code: s.lastExit.code, signal: s.lastExit.signal, at: new Date(s.lastExit.at).toISOString() } : null,
      })),
    stats: () => ({
      restarts,
      dropped: lostMessages + slots.reduce((n, s) => n + (s.channel?.dropped() ?? 0), 0),
      malformed,
      ready: slots.filter((s) => s.state === 'ready').length,
      crashLooping: slots.filter((s) => s.state === 'crash-loop').length,
    }),
    async drain(deadlineMs) {
      draining = true;
      clearInterval(liveness);
      const running = slots.filter((s) => s.worker);
      for (const s of slots) if (s.timer) clearTimeout(s.timer);
      const exits = running.map(
        (s) =>
          new Promise<boolean>((resolve) => {
            const w = s.worker!;
            if (w.isDead()) return resolve(w.process.exitCode === 0);
            w.once('exit', (code) => resolve(code === 0));
            // A full channel must not keep a worker from draining: SIGTERM drains it too.
            if (!s.channel?.send({ t: 'drain' })) w.process.kill('SIGTERM');
          }),
      );
      const kill = setTimeout(() => {
        for (const s of running) s.worker?.process.kill('SIGKILL');
      }, deadlineMs);
      const ok = await Promise.all(exits);
      clearTimeout(kill);
      return ok.every(Boolean);
    },
  };
}
