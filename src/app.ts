/**
 * The composition root: wires config, pools, the proxy listener, the admin listener and reloads
 * together. No request logic lives here.
 */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdminServer } from './admin/server.js';
import { createConfigManager, type ConfigManager, type ReloadResult } from './config/manager.js';
import { watchConfig } from './config/watch.js';
import { createPoolRegistry } from './forward/pools.js';
import { type ForwardStats, forwardStats } from './forward/stats.js';
import { createShadowDispatcher, type DispatcherStats } from './mirror/dispatcher.js';
import { diffRoutes } from './admin/diffs-api.js';
import { rollupRoutes } from './admin/rollups-api.js';
import { createMinuteRollup } from './telemetry/minute-rollup.js';
import { createWebhookNotifier } from './guardrails/notify-webhook.js';
import { createGuardrailsRuntime, type GuardrailsRuntime } from './guardrails/runtime.js';
import { guardrailRoutes } from './admin/guardrails-api.js';
import { fleetRoutes } from './admin/fleet-api.js';
import { isFleetStore, joinFleet } from './fleet/join.js';
import { createMetrics } from './telemetry/metrics.js';
import { metricsRoute } from './admin/metrics-route.js';
import { collectAppState } from './telemetry/metrics-state.js';
import { createComparePipeline, type PipelineStats } from './compare/pipeline.js';
import { createDiffBatcher, type DiffBatcherStats } from './storage/batcher.js';
import { openStore } from './storage/open.js';
import { prepareStorePath, storeOpenError } from './storage/prepare-path.js';
import { createMetricsListener } from './admin/metrics-listener.js';
import type { DiffStore, Stores } from './storage/types.js';
import { createObserverGuard, namedObserver, type ExchangeObserver } from './telemetry/hooks.js';
import { applyLimits, createProxyServer } from './ingress/listener.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { createSeedBook } from './routing/seeds.js';

/** Counters of the shadow path: dispatch, compare and storage. */
export interface MirrorStats {
  readonly dispatcher: DispatcherStats;
  readonly compare: PipelineStats;
  readonly storage: DiffBatcherStats;
  /** The store backend's own counters (SQLite: its worker thread's requests, drops and time). */
  readonly store: Readonly<Record<string, number>>;
}

/** How to build an app. */
export interface AppOptions {
  readonly configFile: string;
  readonly env?: Record<string, string | undefined>;
  /** Defaults to a JSON logger on stdout at the config's level. */
  readonly logger?: Logger;
  /** Watch the file for changes (default true). */
  readonly watch?: boolean;
}

/** A running Fieldlab. */
export interface App {
  readonly config: ConfigManager;
  readonly log: Logger;
  /** Bound proxy port (useful with `listen: 127.0.0.1:0`). */
  proxyPort(): number;
  adminPort(): number;
  reload(trigger?: string): Promise<ReloadResult>;
  /** Observer failures so far, per observer (tracing, metrics, guardrails, rollups). */
  observerFailures(): Readonly<Record<string, number>>;
  /** Slow-client and queue protections so far: cuts, 503s, retries (process-wide counters). */
  forwardStats(): Readonly<ForwardStats>;
  /** Mirror pipeline counters (also on GET /mirror). */
  mirrorStats(): MirrorStats;
  /** The shadow-diff store (reports read it). */
  diffs(): DiffStore;
  /** Writes pending shadow-diff aggregates now (tests, CLI). */
  flushDiffs(): Promise<void>;
  /** The guardrails runtime (tests drive `tick`; the CLI uses the admin API). */
  guardrails(): GuardrailsRuntime;
  /** Writes per-minute arm rollups now (all minutes, including the current one, by default). */
  flushRollups(all?: boolean): Promise<void>;
  /** The metrics listener's port, when `metrics.listen` is configured. */
  metricsPort(): number | undefined;
  /**
   * Graceful stop: readiness fails at once; new connections are still accepted for `delayMs`
   * (drainDelay), then refused while in-flight requests finish up to `deadlineMs` (drainTimeout).
   */
  stop(deadlineMs?: number, delayMs?: number): Promise<void>;
}

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
  let guardrails: GuardrailsRuntime | undefined;
  const observers: ExchangeObserver[] = [];
  const log = opts.logger ?? createLogger('info');
  // A throwing observer is logged once and counted; the exchange goes on without it.
  const observerGuard = createObserverGuard((observer, err) =>
    log.error({ err, observer }, 'exchange observer failed (contained; counted)'),
  );
  // Route seeds live in the store, opened below once the config names it; loaded before listening.
  let stores: Stores | undefined;
  const seeds = createSeedBook({ claimSeeds: (p, at) => stores!.guardrails.claimSeeds(p, at) });
  const config = createConfigManager({
    file: opts.configFile,
    env,
    pools,
    shadowPools,
    log,
    seedOf: seeds.seedOf,
    prepare: (next) =>
      seeds.load(next.routes).then(
        () => undefined,
        (err: unknown) => [`route seeds could not be loaded from the store (${(err as Error).message}); set seed: or retry`],
      ),
    onSwap: (next) => {
      // Same tick as the swap: no request sees the new routes without their run-time weights.
      guardrails?.attach(next);
      applyLimits(proxy, next.config.limits);
      if (!opts.logger) log.level = next.config.log.level;
    },
  });
  const cfg = config.current().config;
  if (!opts.logger) log.level = cfg.log.level;
  // Storage: opened once (restart to change `store`), written only from timers, read by admin requests;
  // SQLite runs in a worker thread, so no store call ever blocks the proxy's loop.
  const fleetMode = isFleetStore(cfg.store.url);
  // The path is checked first, and any failure names store.url and the path (ops: FL_STORE_OPEN).
  stores = await Promise.resolve()
    .then(() => prepareStorePath(cfg.store.url))
    .then(() => openStore(cfg.store.url, { pool: cfg.store.pool, queue: cfg.store.queue }))
    .catch((err: unknown) => {
      throw storeOpenError(cfg.store.url, err);
    });
  try {
    await seeds.load(cfg.routes);
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
  const batcher = createDiffBatcher({
    store,
    maxEndpoints: cfg.store.maxEndpoints,
    maxFields: cfg.store.maxFields,
    onError: (err) => log.warn({ err }, 'shadow-diff batch not stored (dropped and counted)'),
  });
  const pipeline = createComparePipeline({ batcher, onError: (err) => log.error({ err }, 'shadow compare failed') });
  // Tracing loads the OpenTelemetry SDK only when configured: no `tracing:`, no cost.
  const tracing = cfg.tracing ? (await import('./telemetry/tracing.js')).createTracing(cfg.tracing, env) : undefined;
  if (tracing) observers.push(namedObserver('tracing', tracing.observer));
  const notifier = createWebhookNotifier({
    onError: (err, job) => log.warn({ err, url: job.url, attempt: job.attempt }, 'webhook delivery failed'),
  });
  // Fleet mode (a postgres:// store): the fleet feeds the engines the fleet's evidence, decides on
  // one replica, and sends each decision's webhook once, with its sequence number.
  guardrails = createGuardrailsRuntime({
    store: stores.guardrails,
    states,
    notifier: fleetMode ? { ...notifier, notify: () => true } : notifier,
    log,
    ...(fleetMode ? { evaluateEveryMs: 0 } : {}),
  });
  guardrails.attach(config.current());
  const member = fleetMode ? await joinFleet({ url: cfg.store.url, config, runtime: guardrails, notifier, log, env }) : undefined;
  observers.push(namedObserver('guardrails', member ? member.observer : guardrails.observer));
  const rollup = createMinuteRollup(stores.guardrails, { onError: (err) => log.warn({ err }, 'minute rollup not stored') });
  observers.push(namedObserver('rollups', rollup.observer));
  const prune = setInterval(() => {
    const before = Date.now() - config.current().config.store.retention;
    Promise.all([store.prune(before), stores.guardrails.prune(before)]).catch((err: unknown) =>
      log.warn({ err }, 'shadow-diff retention prune failed'),
    );
  }, 3_600_000).unref();
  const startedAt = new Date();
  let draining = false;
  let listening = false;

  const proxy = createProxyServer(cfg.limits, {
    current: config.current,
    log,
    draining: () => draining,
    mirror: { dispatcher, sink: pipeline },
    observers: () => observers,
    observerGuard,
  });
  const sockets = new Set<Socket>();
  proxy.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const diffStats = (): MirrorStats => ({
    dispatcher: dispatcher.stats(),
    compare: pipeline.stats(),
    storage: batcher.stats(),
    store: stores.stats?.() ?? {},
  });
  const metrics = createMetrics({
    collect: collectAppState({ mirror: diffStats, config, ...(tracing ? { tracing: tracing.stats } : {}) }),
  });
  observers.push(namedObserver('metrics', metrics.observer));
  const scrape = metricsRoute(metrics);
  const ready = () => listening && !draining;
  // Probes and scrapes without a token, apart from the admin API (metrics.listen; optional).
  const metricsListener = cfg.metrics ? createMetricsListener({ metrics: scrape, ready }) : undefined;
  const admin = createAdminServer({
    config,
    ready,
    startedAt,
    routes: {
      ...diffRoutes({ store, stats: diffStats }),
      ...rollupRoutes(stores.guardrails),
      'GET /metrics': scrape,
      ...guardrailRoutes(guardrails, stores.guardrails),
      ...fleetRoutes(member?.fleet),
    },
  });

  await listen(proxy, cfg.listen.host, cfg.listen.port);
  try {
    await listen(admin, cfg.admin.listen.host, cfg.admin.listen.port);
    if (metricsListener && cfg.metrics) await listen(metricsListener, cfg.metrics.listen.host, cfg.metrics.listen.port);
  } catch (err) {
    proxy.close();
    admin.close();
    throw err;
  }
  listening = true;
  const stopWatch = opts.watch === false ? () => undefined : watchConfig(opts.configFile, () => void config.reload('watch'));
  log.info(
    {
      listen: address(proxy),
      admin: address(admin),
      ...(metricsListener ? { metrics: address(metricsListener) } : {}),
      config: opts.configFile,
      version: config.current().version,
    },
    'fieldlab started',
  );

  return {
    config,
    log,
    proxyPort: () => (proxy.address() as AddressInfo).port,
    adminPort: () => (admin.address() as AddressInfo).port,
    metricsPort: () => (metricsListener?.address() as AddressInfo | null | undefined)?.port,
    reload: (trigger = 'api') => config.reload(trigger),
    mirrorStats: diffStats,
    observerFailures: () => observerGuard.stats(),
    forwardStats: () => ({ ...forwardStats }),
    diffs: () => store,
    async flushDiffs() {
      await pipeline.idle();
      await batcher.flush();
    },
    flushRollups: (all = true) => rollup.flush(all),
    guardrails: () => guardrails!,
    async stop(deadlineMs = config.current().config.drainTimeout, delayMs = config.current().config.drainDelay) {
      if (draining) return;
      draining = true;
      config.close();
      stopWatch();
      if (delayMs > 0) {
        // /readyz answers 503 from now on, but the listener keeps accepting: load balancers and
        // kube-proxy take a few seconds to notice, and connections they still send must not fail.
        log.info({ delayMs }, 'not ready; accepting connections until the drain delay ends');
        await new Promise((r) => setTimeout(r, delayMs));
      }
      log.info({ deadlineMs, open: sockets.size }, 'draining');
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      // Connections become idle as their last response ends; close each one as soon as it does
      // instead of waiting out the keep-alive timeout.
      const sweep = setInterval(() => proxy.closeIdleConnections(), 50);
      proxy.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
      const how = await Promise.race([closed, deadline]);
      clearTimeout(timer);
      clearInterval(sweep);
      if (how === 'deadline') {
        log.warn({ open: sockets.size }, 'drain deadline reached; closing remaining connections');
        for (const s of sockets) s.destroy();
        proxy.closeAllConnections();
      }
      await Promise.all([pools.closeAll(how === 'deadline'), shadowPools.closeAll(true)]);
      // Pairs already captured are compared and stored before the process goes away.
      await Promise.race([pipeline.idle(), new Promise((r) => setTimeout(r, 2_000))]);
      clearInterval(prune);
      await member?.stop();
      guardrails?.stop();
      await Promise.race([notifier.idle(), new Promise((r) => setTimeout(r, 2_000))]);
      notifier.stop();
      await rollup.stop();
      metrics.close();
      if (tracing) await Promise.race([tracing.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
      await batcher.stop();
      // Admin goes before the store: a late admin request must not find a closed database.
      await new Promise<void>((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      });
      if (metricsListener) {
        await new Promise<void>((resolve) => {
          metricsListener.close(() => resolve());
          metricsListener.closeAllConnections();
        });
      }
      // After the admin and every writer: pending store requests finish, then the file closes.
      await stores.close();
      log.info('stopped');
      log.flush();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function address(server: Server): string {
  const a = server.address() as AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
