/**
 * The primary of a `workers: N` group: it forks the workers, serves the admin API for all of them,
 * and serves no traffic itself. On SQLite it is the group's one store writer (workers' store calls
 * run here, ipc-stores.ts) and its one decider: once a second it sums the workers' evidence seconds
 * (evidence-pool.ts), lets its engines decide, and pushes the resulting states to every worker,
 * which apply the weights at once. On PostgreSQL every worker is a fleet replica and the fleet
 * shares evidence and decisions; the primary is one more replica, with no traffic.
 * Config reloads happen here, once (file watch, SIGHUP, POST /reload): the validated text is
 * sent to every worker, so an invalid file keeps the last good config everywhere.
 */
import { sendJson } from '../admin/server.js';
import { SHUTDOWN_GRACE_MS } from '../async/deadline.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import { faultState } from '../faults/control.js';
import { renderFamily } from '../telemetry/prom-text.js';
import { createEvidencePool } from './evidence-pool.js';
import { runStoreCall } from './ipc-stores.js';
import { mergeMetrics } from './metrics-merge.js';
import type { WorkerMessage } from './protocol.js';
import type { ProcessRole, RoleHooks, RoleParts } from './role.js';
import type { Sharing } from './sharing.js';
import { createSupervisor, type Supervisor } from './supervisor.js';

/** Seconds older than this are decided on even if a worker has not reported them (a stalled worker). */
const GRACE_SEC = 2;
/** Every this many ticks all states go out again, so a worker that dropped a message converges. */
const RESYNC_TICKS = 5;

/**
 * @example await startApp({ configFile, role: createPrimaryRole({ count: 2, sharing: 'cluster', configFile, env }) })
 */
export function createPrimaryRole(opts: {
  count: number;
  sharing: Sharing;
  configFile: string;
  env: Record<string, string | undefined>;
}): ProcessRole {
  return {
    proxy: false,
    admin: true,
    join: (parts) => joinAsPrimary(parts, opts),
  };
}

function joinAsPrimary(parts: RoleParts, opts: Parameters<typeof createPrimaryRole>[0]): RoleHooks {
  const { runtime, config, log } = parts;
  const pool = createEvidencePool({ graceSec: GRACE_SEC });
  const texts = new Map<number, string>();
  let started = false;
  let liveDropped = 0;
  let tracesDropped = 0;
  const liveStates = () => {
    const out = new Map<string, unknown>();
    for (const route of runtime.routeNames().guarded) out.set(route, runtime.engine(route)?.state());
    return out;
  };
  const statesOf = (routes: readonly string[]) => Object.fromEntries(routes.map((r) => [r, runtime.engine(r)?.state()]));

  const onMessage = (index: number, m: WorkerMessage) => {
    if (m.t === 'metrics') texts.set(index, m.text);
    // The dashboard's charts: the primary serves no traffic, so its series are its workers' sum.
    else if (m.t === 'live') {
      liveDropped += m.dropped;
      for (const s of m.seconds) parts.live.absorb(s);
    } else if (m.t === 'exemplars') {
      // The dashboard's trace exemplars: each arm keeps the group's newest errors and slowest.
      liveDropped += m.dropped;
      for (const e of m.items) parts.exemplars.offer(e);
    } else if (m.t === 'responses') {
      // The null-branch check of the whole group (the experiments API reads the primary's).
      liveDropped += m.dropped;
      for (const o of m.items) parts.nullBranch.observe(o.route, o.arm, o.endpoint, o.status, o.bytes, o.latencyMs, o.digest);
    } else if (m.t === 'traced') {
      // The group's one span join and arm profiles (trace-relay.ts: why the exchanges move here).
      tracesDropped += m.dropped;
      const t = parts.traces;
      if (!t) return;
      for (const x of m.pairs) t.join.admit(x.pair, x.kind);
      for (const n of m.notes) t.profiles.note(n.route, n.arm, n.traceId, n.spanId);
      if (m.untraced > 0) t.join.untraced(m.untraced);
    } else if (m.t === 'hello') {
      // Right after its config (the supervisor answered first): it must not serve one fault the switch forbids.
      sup.send(index, { t: 'faults', enabled: faultState().enabled });
      // And the ramp step in force (sent again on ready: one that comes before its app exists waits in its role).
      if (!parts.fleet) sup.send(index, { t: 'ramp', shared: parts.ramps.shared() });
    } else if (m.t === 'ready') {
      // A reload while it was starting went to the ready workers only: bring it up to date.
      if (m.digest !== config.current().digest) sup.send(index, { t: 'reload', text: config.text(), trigger: 'primary' });
      if (!parts.fleet) {
        sup.send(index, { t: 'states', states: Object.fromEntries(liveStates()) });
        sup.send(index, { t: 'bandit', shared: parts.bandits.shared() });
        sup.send(index, { t: 'ramp', shared: parts.ramps.shared() });
      }
      // A switch between its hello and now went to the ready workers only.
      sup.send(index, { t: 'faults', enabled: faultState().enabled });
    } else if (m.t === 'evidence') {
      if (!parts.fleet) pool.add(index, m.through, m.seconds);
    } else if (m.t === 'ramp-evidence') {
      for (const b of m.batches) parts.ramps.absorb(b);
    } else if (m.t === 'store') {
      // The worker has given up on it (and counted it lost): running it now would write it after all.
      if (Date.now() > m.deadline)
        return sup.send(index, { t: 'store-reply', id: m.id, ok: false, error: 'expired before the primary ran it' });
      void runStoreCall(parts.stores, m.op, m.args, liveStates).then(
        (value) => sup.send(index, { t: 'store-reply', id: m.id, ok: true, value }),
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          sup.send(index, {
            t: 'store-reply',
            id: m.id,
            ok: false,
            error: err instanceof Error ? err.message : String(err),
            ...(typeof code === 'string' ? { code } : {}),
          });
        },
      );
    }
  };
  const sup: Supervisor = createSupervisor({
    count: opts.count,
    sharing: opts.sharing,
    configFile: opts.configFile,
    configText: () => config.text(),
    env: opts.env,
    log,
    onMessage,
    onAllFailed: () => {
      log.fatal({ workers: sup.slots() }, 'every worker is crash-looping: stopping (exit 1)');
      // The CLI's stop exits with this code once the primary has stopped.
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    },
    onGone: (index) => {
      pool.forget(index);
      texts.delete(index);
    },
  });

  // The decider's second: the workers' sums into the engines, then one evaluation for the group.
  const decide = () => {
    const nowMs = Date.now();
    for (const s of pool.take(Math.floor(nowMs / 1000))) runtime.engine(s.route)?.recordSecond(s.sec, s.arms);
    const decided = [...new Set(runtime.tick(nowMs).map((d) => d.route))];
    if (decided.length > 0) sup.broadcast({ t: 'states', states: statesOf(decided) });
  };
  let ticks = 0;
  const timer = parts.fleet
    ? undefined
    : setInterval(() => {
        decide();
        if (++ticks % RESYNC_TICKS !== 0) return;
        sup.broadcast({ t: 'states', states: Object.fromEntries(liveStates()) });
        sup.broadcast({ t: 'bandit', shared: parts.bandits.shared() });
        sup.broadcast({ t: 'ramp', shared: parts.ramps.shared() });
        sup.broadcast({ t: 'faults', enabled: faultState().enabled });
      }, 1000);
  timer?.unref();
  // On SQLite the primary's bandit is the group's one decider: each change reaches every worker at once.
  if (!parts.fleet) parts.bandits.onApplied((route, shared) => void sup.broadcast({ t: 'bandit', shared: { [route]: shared } }));
  // The primary is the ramps' one judge: each step change reaches every worker at once.
  parts.ramps.onChange((route, shared) => void sup.broadcast({ t: 'ramp', shared: { [route]: shared } }));

  config.onSwap(() => {
    sup.broadcast({ t: 'reload', text: config.text(), trigger: 'primary' });
    if (!parts.fleet) sup.broadcast({ t: 'states', states: Object.fromEntries(liveStates()) });
  });

  // A manual action decides here; every worker applies it at once.
  const adminRuntime: GuardrailsRuntime = parts.fleet
    ? runtime
    : {
        ...runtime,
        manual(route, action, o) {
          const r = runtime.manual(route, action, o);
          if (r.ok && r.decisions.length > 0) sup.broadcast({ t: 'states', states: statesOf([route]) });
          return r;
        },
      };

  const starting = sup.start().then(() => {
    started = true;
    log.info({ workers: sup.slots().map((s) => ({ worker: s.index, pid: s.pid })), sharing: opts.sharing }, 'workers ready');
  });
  // Awaited by startApp once its listeners are bound; until then a failure must not count as unhandled.
  starting.catch(() => undefined);

  const own = () => {
    const st = sup.stats();
    const slots = sup.slots();
    const byState = (state: string) => slots.filter((s) => s.state === state).length;
    return [
      renderFamily({
        name: 'fieldlab_workers',
        help: 'Worker processes by state (ready, starting, restarting, crash-loop, stopped)',
        type: 'gauge',
        samples: ['ready', 'starting', 'restarting', 'crash-loop', 'stopped'].map((state) => ({
          labels: { state },
          value: byState(state),
        })),
      }),
      renderFamily({
        name: 'fieldlab_worker_restarts_total',
        help: 'Workers started again after they exited',
        type: 'counter',
        samples: [{ value: st.restarts }],
      }),
      renderFamily({
        name: 'fieldlab_worker_ipc_dropped_total',
        help: 'IPC traffic dropped: messages to full or closed worker channels, malformed messages, evidence seconds past the pool bound, dashboard seconds or null-branch responses a worker could not queue (live), traced pairs and arm requests a worker could not queue or send (traces), ramp evidence of a step already judged (ramp-stale)',
        type: 'counter',
        samples: [
          { labels: { kind: 'message' }, value: st.dropped },
          { labels: { kind: 'malformed' }, value: st.malformed },
          { labels: { kind: 'evidence' }, value: pool.stats().dropped },
          { labels: { kind: 'live' }, value: liveDropped },
          { labels: { kind: 'traces' }, value: tracesDropped },
          // A worker's ramp batch of a step the primary no longer judges (it moved on meanwhile).
          { labels: { kind: 'ramp-stale' }, value: parts.ramps.stale() },
        ],
      }),
    ].join('');
  };

  return {
    started: starting,
    runtime: adminRuntime,
    render: () =>
      mergeMetrics(
        [
          { worker: 'primary', text: parts.render() + own() },
          ...[...texts].sort(([a], [b]) => a - b).map(([i, text]) => ({ worker: String(i), text })),
        ],
        // On SQLite the primary decides: the workers' mirrored guardrail gauges would count it N+1 times.
        // Likewise the ramps: the primary judges, a worker only follows its step.
        parts.fleet
          ? undefined
          : (worker, family) =>
              worker !== 'primary' && (family.startsWith('fieldlab_guardrails_') || family.startsWith('fieldlab_fault_ramp_')),
      ),
    faultsSwitched: (on) => ({ told: sup.broadcast({ t: 'faults', enabled: on }), of: opts.count }),
    routes: {
      'GET /workers': (_req, res) => sendJson(res, { sharing: opts.sharing, primary: process.pid, workers: sup.slots() }),
    },
    // Ready once every worker has started and while at least one serves.
    ready: () => started && sup.stats().ready > 0,
    degraded: () => {
      const slots = sup.slots();
      return [
        ...(slots.some((s) => s.state === 'crash-loop') ? ['workers-crash-loop'] : []),
        ...(slots.some((s) => s.state === 'restarting' || (started && s.state === 'starting')) ? ['workers-restarting'] : []),
      ];
    },
    async stop() {
      const c = config.current().config;
      const ok = await sup.drain(c.drainDelay + c.drainTimeout + 4 * SHUTDOWN_GRACE_MS);
      if (timer) {
        clearInterval(timer);
        // The workers' last seconds reach the engines, whose states are saved next (app.stop).
        for (const s of pool.take(Number.MAX_SAFE_INTEGER)) runtime.engine(s.route)?.recordSecond(s.sec, s.arms);
      }
      if (!ok) log.warn({ workers: sup.slots() }, 'not every worker drained cleanly');
    },
  };
}
