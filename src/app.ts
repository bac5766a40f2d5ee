/**
 * The composition root: wires config, pools, the proxy listener, the admin listener and reloads
 * together, in the order of startup; the pieces it wires with are in app/. No request logic lives here.
 */
import { createAdminServer } from './admin/server.js';
import { createConfigManager } from './config/manager.js';
import { watchConfig } from './config/watch.js';
import { createPoolRegistry } from './forward/pools.js';
import { createShadowDispatcher } from './mirror/dispatcher.js';
import { tapPairSink, type PairTap } from './mirror/sink-tap.js';
import type { PairSink } from './mirror/mirror.js';
import { createMinuteRollup } from './telemetry/minute-rollup.js';
import { createLiveSeries } from './telemetry/live-series.js';
import { createExemplarKeeper } from './telemetry/exemplars.js';
import { dashboardRoutes } from './admin/dashboard.js';
import { createResponseTap } from './experiments/response-tap.js';
import { experimentPrunable } from './experiments/retention.js';
import { createRequestRecorder } from './record/recorder.js';
import { createRecordTap } from './record/record-tap.js';
import { isFleetStore } from './fleet/join.js';
import { metricsRoute } from './admin/metrics-route.js';
import { restoreFaultSwitch } from './faults/switch-store.js';
import { createComparePipeline } from './compare/pipeline.js';
import { createDiffBatcher } from './storage/batcher.js';
import { createRetention } from './storage/retention.js';
import { createMetricsListener } from './admin/metrics-listener.js';
import type { Stores } from './storage/types.js';
import { createObserverGuard } from './telemetry/hooks.js';
import { createDrain } from './ingress/drain.js';
import { createSeedBook } from './routing/seeds.js';
import { layerSeedRef } from './routing/audience.js';
import { applyLimits, createProxyServer } from './ingress/listener.js';
import { createLogger } from './telemetry/logger.js';
import { boundAddress, httpBase, listen } from './net/listen.js';
import type { App, AppOptions, MirrorStats } from './app/types.js';
import { openAppStores } from './app/stores.js';
import { startDeciders } from './app/deciders.js';
import { createAppMetrics } from './app/metrics.js';
import { appObservers } from './app/observers.js';
import { loadTraces } from './app/traces.js';
import { adminRoutes } from './app/admin-routes.js';
import { type AppLife, runningApp } from './app/running-app.js';

export type { App, AppOptions, MirrorStats } from './app/types.js';

/**
 * Loads the config and starts both listeners. Rejects with StartupConfigError on an invalid file.
 * @example const app = await startApp({ configFile: 'config/fieldlab.yaml' })
 */
export async function startApp(opts: AppOptions): Promise<App> {
  const env = opts.env ?? process.env;
  const pools = createPoolRegistry();
  // Shadows get pools of their own so mirrored traffic never takes a primary connection.
  const shadowPools = createPoolRegistry();
  const dispatcher = createShadowDispatcher();
  const role = opts.role;
  const log = opts.logger ?? (role?.logBindings ? createLogger('info').child(role.logBindings) : createLogger('info'));
  // A throwing observer is logged once and counted; the exchange goes on without it.
  const observerGuard = createObserverGuard((observer, err) =>
    log.error({ err, observer }, 'exchange observer failed (contained; counted)'),
  );
  // Route seeds live in the store, opened below once the config names it; loaded before listening.
  let seedStores: Stores | undefined;
  const seeds = createSeedBook({ claimSeeds: (p, at) => seedStores!.guardrails.claimSeeds(p, at) });
  const config = createConfigManager({
    file: opts.configFile,
    env,
    pools,
    shadowPools,
    log,
    ...(role?.configText !== undefined ? { text: role.configText } : {}),
    seedOf: seeds.seedOf,
    prepare: (next) =>
      seeds.load(seedRefs(next)).then(
        () => undefined,
        (err: unknown) => [`route seeds could not be loaded from the store (${(err as Error).message}); set seed: or retry`],
      ),
  });
  const cfg = config.current().config;
  if (!opts.logger) log.level = cfg.log.level;
  // Storage: opened once (restart to change `store`), written only from timers, read by admin requests;
  // SQLite runs in a worker thread, so no store call ever blocks the proxy's loop.
  const stores = await openAppStores(cfg, role, log);
  seedStores = stores;
  const fleetMode = isFleetStore(cfg.store.url);
  try {
    await seeds.load(seedRefs(cfg));
  } catch (err) {
    // Serving with a stand-in seed would reshuffle every user once the store answers: refuse instead.
    await stores.close();
    throw new Error(`route seeds could not be loaded from the store: ${(err as Error).message}`);
  }
  const store = stores.diffs;
  // Loaded before listening: a variant that was rolled back never serves a request after a restart.
  const states = await stores.guardrails.loadStates().catch((err: unknown) => {
    log.error({ err }, 'guardrail state not loaded');
    return new Map<string, unknown>();
  });
  // Faults switched off during an incident stay off across a restart (README "Kill switch").
  if (restoreFaultSwitch(states)) log.warn('fault injection is off (stored kill switch): fieldlab faults on to allow it');
  const batcher = createDiffBatcher({
    store,
    maxEndpoints: cfg.store.maxEndpoints,
    maxFields: cfg.store.maxFields,
    onError: (err) => log.warn({ err }, 'shadow-diff batch not stored (dropped and counted)'),
  });
  const pipeline = createComparePipeline({ batcher, onError: (err) => log.error({ err }, 'shadow compare failed') });
  const traces = await loadTraces(cfg, role, batcher, store, log);
  // Recording (`record:`): captured exchanges are redacted and batched to the store from a timer.
  const recorder = createRequestRecorder({
    store: stores.records,
    current: config.current,
    onError: (err) => log.warn({ err }, 'record batch not stored (dropped and counted)'),
  });
  const retention = createRetention({
    stores: [store, stores.guardrails, experimentPrunable(stores.experiments, config.current), recorder.prunable],
    retentionMs: () => config.current().config.store.retention,
    onError: (err) => log.warn({ err }, 'shadow-diff retention prune failed'),
  });
  // Tracing loads the OpenTelemetry SDK only when configured: no `tracing:`, no cost.
  const tracing = cfg.tracing ? (await import('./telemetry/tracing.js')).createTracing(cfg.tracing, env) : undefined;
  const { notifier, guardrails, ramps, member, experiments, nullBranch, results, bandits, rampStatus } = await startDeciders({
    cfg,
    config,
    stores,
    states,
    fleetMode,
    role,
    env,
    log,
    // The default link in a message (none for a decision made before the admin listener exists).
    adminUrl: () => httpBase(admin),
  });
  const responseTap = createResponseTap({ recorder: experiments, current: config.current, nullBranch });
  const rollup = createMinuteRollup(stores.guardrails, { onError: (err) => log.warn({ err }, 'minute rollup not stored') });
  const live = createLiveSeries();
  const exemplars = createExemplarKeeper();
  const diffStats = (): MirrorStats => ({
    dispatcher: dispatcher.stats(),
    compare: pipeline.stats(),
    storage: batcher.stats(),
    store: stores.stats?.() ?? {},
    ...(traces ? { traces: traces.stats() } : {}),
  });
  const metrics = createAppMetrics({
    mirror: diffStats,
    dispatcher,
    pipeline,
    config,
    tracing,
    traces,
    notifier,
    guardrails,
    experiments,
    responseTap,
    bandits,
    recorder,
    // On a fleet, the judge's numbers where this replica judges (README: The sick-canary ramp).
    ramps: () => member?.rampJudge() ?? ramps,
  });
  const hooks = role?.join({
    config,
    runtime: guardrails,
    stores,
    fleet: fleetMode,
    log,
    live,
    exemplars,
    nullBranch,
    bandits,
    traces,
    ramps,
    render: () => metrics.render(),
  });
  const observers = appObservers({
    extra: opts.observers,
    tracing,
    profiles: traces?.profiles ?? hooks?.traceRelay,
    guardrails: member ? member.observer : (hooks?.observer ?? guardrails.observer),
    experiments,
    ramps,
    rollup,
    live,
    exemplars,
    metrics,
  });
  const startedAt = new Date();
  // Shared with the running app's stop: draining fails readiness at once; the watch is set once listening.
  const life: AppLife = { draining: false, stopWatch: () => undefined };
  let listening = false;

  const proxy = createProxyServer(cfg.limits, {
    current: config.current,
    log,
    draining: () => life.draining,
    mirror: { dispatcher, sink: pairSink(pipeline, traces?.join.tap ?? hooks?.traceRelay?.tap, opts.pairTap) },
    observers: () => observers,
    observerGuard,
    responseTap: responseTap.tap,
    record: createRecordTap({ recorder }),
  });
  const drain = createDrain(proxy, log);
  config.onSwap((next) => {
    // Same tick as the swap: no request sees the new routes without their run-time weights.
    guardrails.attach(next);
    bandits.attach(next);
    ramps.attach(next);
    applyLimits(proxy, next.config.limits);
    if (!opts.logger) log.level = next.config.log.level;
  });
  const scrape = metricsRoute(hooks?.render ? { render: hooks.render } : metrics);
  const ready = () => listening && !life.draining && (hooks?.ready?.() ?? true);
  // Probes and scrapes without a token, apart from the admin API (metrics.listen; optional).
  const metricsListener = cfg.metrics && role?.admin !== false ? createMetricsListener({ metrics: scrape, ready }) : undefined;
  // The runtime the admin API acts on: a fleet member's or a group primary's manual action reaches the others.
  const adminRuntime = member ? member.runtime : (hooks?.runtime ?? guardrails);
  const dashboard = dashboardRoutes({
    config,
    guardrails: adminRuntime,
    store: stores.guardrails,
    live,
    exemplars,
    ramps: rampStatus,
    shadowDrops: () => {
      const d = dispatcher.stats();
      return d.dropped + d.overBudget + d.expired;
    },
  });
  const admin = createAdminServer({
    degraded: () => [...(guardrails?.health().degraded ? ['guardrail-persistence'] : []), ...(hooks?.degraded?.() ?? [])],
    config,
    log,
    ready,
    startedAt,
    routes: adminRoutes({
      config,
      stores,
      mirror: diffStats,
      scrape,
      guardrails: adminRuntime,
      bandits,
      ramps: rampStatus,
      member,
      hooks,
      results,
      traces,
      dashboard: dashboard.routes,
      log,
    }),
  });

  const app = runningApp(
    {
      config,
      log,
      role,
      pools,
      shadowPools,
      proxy,
      drain,
      admin,
      metricsListener,
      dashboard,
      observerGuard,
      mirrorStats: diffStats,
      stores,
      pipeline,
      batcher,
      retention,
      recorder,
      tracing,
      traces,
      notifier,
      guardrails,
      ramps,
      member,
      experiments,
      bandits,
      rollup,
      metrics,
      hooks,
    },
    life,
  );

  try {
    if (role?.proxy !== false) await (role?.listenProxy ?? listen)(proxy, cfg.listen.host, cfg.listen.port);
    if (role?.admin !== false) await listen(admin, cfg.admin.listen.host, cfg.admin.listen.port);
    if (metricsListener && cfg.metrics) await listen(metricsListener, cfg.metrics.listen.host, cfg.metrics.listen.port);
    if (traces && cfg.traces) await listen(traces.server, cfg.traces.listen.host, cfg.traces.listen.port);
    await hooks?.started;
  } catch (err) {
    // Nothing may outlive a failed start: the store, timers and pools close as in a stop.
    await app.stop(0, 0);
    throw err;
  }
  listening = true;
  if (opts.watch !== false) life.stopWatch = watchConfig(opts.configFile, () => void config.reload('watch'));
  log.info(
    {
      ...(role?.proxy !== false ? { listen: boundAddress(proxy) } : {}),
      ...(role?.admin !== false ? { admin: boundAddress(admin) } : {}),
      ...(metricsListener ? { metrics: boundAddress(metricsListener) } : {}),
      ...(traces ? { traces: boundAddress(traces.server) } : {}),
      config: opts.configFile,
      version: config.current().version,
    },
    'fieldlab started',
  );
  return app;
}

/** What the seed book keeps seeds for: every route, and every layer (as `layer:NAME`). */
function seedRefs(cfg: {
  routes: readonly { name: string; seed?: string | undefined }[];
  layers: readonly { name: string; salt?: string | undefined }[];
}) {
  return [...cfg.routes, ...cfg.layers.map(layerSeedRef)];
}

/** The mirror's sink: the compare pipeline, seen first by the span join (or a worker's relay) and an embedder's tap. */
function pairSink(pipeline: PairSink, join: PairTap | undefined, tap: PairTap | undefined): PairSink {
  const joined = join ? tapPairSink(pipeline, join) : pipeline;
  return tap ? tapPairSink(joined, tap) : joined;
}
