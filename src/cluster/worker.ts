/**
 * A worker's part: it serves the shared port and nothing else. On SQLite its store is the
 * primary's (over IPC), its guardrails only mirror the primary's engines (`states` messages are
 * adopted at once, so every worker routes with the same weights), and once a second it sends the
 * primary its completed evidence seconds and its metrics text. On PostgreSQL it is a fleet replica
 * like any other and only its metrics and the reload and drain messages go through the primary.
 */
import type { Server } from 'node:http';
import { createRuntimeAdapter } from '../fleet/runtime-adapter.js';
import { createChannel, type Channel } from './channel.js';
import { createIpcStores } from './ipc-stores.js';
import { MAX_LIVE_SECONDS, type PrimaryMessage, type WorkerMessage } from './protocol.js';
import type { ObservedResponse } from '../experiments/null-branch.js';
import type { Exemplar } from '../telemetry/exemplars.js';
import type { LiveSecond } from '../telemetry/live-series.js';
import type { ProcessRole, RoleHooks, RoleParts } from './role.js';
import { createRpcClient, type RpcClient } from './rpc.js';
import { createTraceRelay } from './trace-relay.js';
import type { Sharing } from './sharing.js';
import { listenShared } from './sharing.js';

/** Messages a worker may have in the channel unwritten (evidence and metrics are one a second each). */
const CHANNEL_MAX = 256;
/** Store calls that may wait for the primary at once. */
const RPC_MAX = 1024;
const RPC_TIMEOUT_MS = 10_000;
const PUSH_EVERY_MS = 1000;
/** Dashboard seconds a worker queues between two pushes at most (256 series × 8 s). */
const LIVE_OUTBOX = MAX_LIVE_SECONDS;
/** How long after a second ends its live data goes out: the primary's dashboard tick follows. */
const LIVE_AFTER_MS = 20;

/** The worker's role, and how its process hands it the primary's messages. */
export interface WorkerRole {
  readonly role: ProcessRole;
  /** A message from the primary (already parsed), other than `drain` (worker-main stops the app). */
  receive(m: Exclude<PrimaryMessage, { t: 'drain' | 'config' | 'faults' }>): void;
  /** The primary is gone: fail waiting store calls. */
  disconnected(): void;
  readonly channel: Channel<WorkerMessage>;
}

/**
 * @example const w = createWorkerRole({ index: 1, sharing: 'cluster', send }); await startApp({ configFile, role: w.role })
 */
export function createWorkerRole(opts: {
  index: number;
  /** The primary's live config text, to start from. */
  text: string;
  sharing: Sharing;
  /** reusePort: the port the first worker bound when the config says 0. */
  port?: number;
  send: (m: WorkerMessage, done: (err: Error | null) => void) => boolean;
}): WorkerRole {
  const channel = createChannel<WorkerMessage>(opts.send, { max: CHANNEL_MAX });
  const rpc: RpcClient = createRpcClient(channel, { max: RPC_MAX, timeoutMs: RPC_TIMEOUT_MS });
  let parts: RoleParts | undefined;
  // The primary's ramp steps may arrive before the app exists: applied once it joins.
  let pendingRamp: Readonly<Record<string, unknown>> | undefined;

  const role: ProcessRole = {
    configText: opts.text,
    logBindings: { worker: opts.index, pid: process.pid },
    proxy: true,
    admin: false,
    openStores: (url) => (url.startsWith('sqlite:') ? Promise.resolve(createIpcStores(rpc)) : undefined),
    ...(opts.sharing === 'reuseport'
      ? { listenProxy: (server: Server, host: string, port: number) => listenShared(server, host, port === 0 ? (opts.port ?? 0) : port) }
      : {}),
    join(p): RoleHooks {
      parts = p;
      if (pendingRamp) p.ramps.adopt(pendingRamp);
      pendingRamp = undefined;
      const metrics = () => channel.send({ t: 'metrics', text: p.render() });
      const live = pushLive(p, channel);
      // With `traces:` the primary runs the group's receiver and join: traced exchanges go there.
      const relay = p.config.current().config.traces ? createTraceRelay(channel) : undefined;
      const traced = relay ? { traceRelay: relay } : {};
      if (p.fleet) {
        const timer = setInterval(metrics, PUSH_EVERY_MS);
        timer.unref();
        return {
          ...traced,
          async stop() {
            clearInterval(timer);
            live.stop();
            relay?.stop();
            metrics();
            await channel.idle();
          },
        };
      }
      const adapter = createRuntimeAdapter(p.runtime, () => p.config.current().routes);
      const push = (before: number) => {
        const seconds = adapter.fleetRuntime.drain(before);
        // Sent even when empty: `through` tells the primary this worker has nothing older to add.
        channel.send({ t: 'evidence', through: before, seconds });
        const batches = p.ramps.relay();
        if (batches.length > 0) channel.send({ t: 'ramp-evidence', batches });
      };
      const timer = setInterval(() => {
        push(Math.floor(Date.now() / 1000));
        metrics();
      }, PUSH_EVERY_MS);
      timer.unref();
      return {
        ...traced,
        observer: adapter.observer,
        async stop() {
          clearInterval(timer);
          live.stop();
          relay?.stop();
          // Requests have drained: the current second is complete too.
          push(Math.floor(Date.now() / 1000) + 1);
          metrics();
          await channel.idle();
        },
      };
    },
  };

  return {
    role,
    channel,
    receive(m) {
      if (m.t === 'store-reply') return rpc.reply(m);
      if (m.t === 'ramp' && !parts) pendingRamp = { ...pendingRamp, ...m.shared };
      if (!parts) return;
      if (m.t === 'ramp') return parts.ramps.adopt(m.shared);
      if (m.t === 'bandit') {
        for (const [route, shared] of Object.entries(m.shared))
          if (!parts.bandits.adopt(route, shared))
            parts.log.warn({ route }, 'bandit weights from the primary not applied (malformed or other arms)');
        return;
      }
      if (m.t === 'states') {
        for (const [route, state] of Object.entries(m.states))
          parts.runtime.adopt(route, state as Parameters<RoleParts['runtime']['adopt']>[1]);
        return;
      }
      if (m.t === 'reload') {
        const log = parts.log;
        void parts.config.reload(m.trigger, m.text).then(
          (r) => {
            if (!r.ok) log.error({ errors: r.errors }, 'worker could not apply the config the primary applied');
          },
          (err: unknown) => log.error({ err }, 'worker reload failed'),
        );
      }
    },
    disconnected: () => rpc.close('the primary is gone'),
  };
}

/**
 * Sends the primary this worker's dashboard seconds just after each second ends (the primary serves
 * no traffic: its live charts are the sum of its workers'), and the responses its null-branch check
 * observed (so the group's check sees every worker's). Both queue in a bounded outbox as
 * they come; beyond it they are dropped and the count goes out with the next message.
 */
function pushLive(p: RoleParts, channel: Channel<WorkerMessage>): { stop(): void } {
  let outbox: LiveSecond[] = [];
  let dropped = 0;
  p.live.exportTo((s) => {
    if (outbox.length >= LIVE_OUTBOX) dropped++;
    else outbox.push(s);
  });
  // The null-branch check's sampled responses go the same way (≤ 2,000 per arm, then 1 in 16).
  let responses: ObservedResponse[] = [];
  let responsesDropped = 0;
  p.nullBranch.exportTo((o) => {
    if (responses.length >= LIVE_OUTBOX) responsesDropped++;
    else responses.push(o);
  });
  // Trace exemplars too: only those this worker kept (a few per arm per second at most).
  let exemplars: Exemplar[] = [];
  let exemplarsDropped = 0;
  p.exemplars.exportTo((e) => {
    if (exemplars.length >= LIVE_OUTBOX) exemplarsDropped++;
    else exemplars.push(e);
  });
  const send = (before = Math.floor(Date.now() / 1000)) => {
    p.live.closeBefore(before);
    if (exemplars.length > 0 || exemplarsDropped > 0) {
      channel.send({ t: 'exemplars', items: exemplars, dropped: exemplarsDropped });
      exemplars = [];
      exemplarsDropped = 0;
    }
    if (responses.length > 0 || responsesDropped > 0) {
      channel.send({ t: 'responses', items: responses, dropped: responsesDropped });
      responses = [];
      responsesDropped = 0;
    }
    if (outbox.length === 0 && dropped === 0) return;
    channel.send({ t: 'live', seconds: outbox, dropped });
    outbox = [];
    dropped = 0;
  };
  // Re-aligned to the second every time (an interval would drift): the data is ~LIVE_AFTER_MS old
  // when it leaves.
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(
      () => {
        send();
        schedule();
      },
      1000 - (Date.now() % 1000) + LIVE_AFTER_MS,
    );
    timer.unref();
  };
  schedule();
  return {
    stop() {
      clearTimeout(timer);
      // Requests have drained: the current second is complete too.
      send(Math.floor(Date.now() / 1000) + 1);
    },
  };
}
