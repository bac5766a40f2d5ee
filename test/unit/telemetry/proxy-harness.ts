// A real Fieldlab request path for the telemetry integration tests, assembled from the same parts
// app.ts wires (config manager, pools, shadow dispatcher, proxy listener, admin server) but with the
// observers and extra admin routes under the test's control. Shadow pairs are recorded on their way
// into the real compare pipeline (SQLite store in a temp dir). Lives here because telemetry owns this
// folder; it can move to test/helpers once startApp takes `observers`.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createAdminServer } from '../../../src/admin/server.js';
import { createComparePipeline } from '../../../src/compare/pipeline.js';
import type { ComparePair } from '../../../src/compare/types.js';
import { createConfigManager, type ConfigManager } from '../../../src/config/manager.js';
import { createPoolRegistry } from '../../../src/forward/pools.js';
import { createProxyServer } from '../../../src/ingress/listener.js';
import { createShadowDispatcher, type ShadowDispatcher } from '../../../src/mirror/dispatcher.js';
import type { PairSink } from '../../../src/mirror/mirror.js';
import { createDiffBatcher } from '../../../src/storage/batcher.js';
import { openStore } from '../../../src/storage/open.js';
import { createObserverGuard, type ExchangeObserver } from '../../../src/telemetry/hooks.js';
import type { StateSources } from '../../../src/telemetry/metrics-state.js';
import { tempDir } from '../../helpers/servers.js';

/** A running proxy (and admin listener) with test-chosen observers. */
export interface TelemetryProxy {
  readonly url: string;
  readonly adminUrl: string;
  readonly config: ConfigManager;
  /** The config file (rewrite it, then `config.reload`). */
  readonly file: string;
  readonly dispatcher: ShadowDispatcher;
  /** Dispatcher, compare and storage counters, as app.ts's `mirrorStats`. */
  readonly mirrorStats: NonNullable<StateSources['mirror']>;
  /** Resolves once every captured pair has been compared. */
  comparedAll(): Promise<void>;
  /** Shadow pairs and skips the mirror produced. */
  readonly pairs: ComparePair[];
  readonly skips: string[];
  /** Resolves once no shadow copy is queued or in flight. */
  shadowsSettled(): Promise<void>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Starts the proxy on `yaml` (its listen addresses are ignored: both listeners take 127.0.0.1:0).
 * @example const fl = await startTelemetryProxy(yaml, [tracing.observer]); await request(`${fl.url}/api`)
 */
export async function startTelemetryProxy(
  yaml: string,
  observers: readonly ExchangeObserver[],
  adminRoutes: Record<string, Handler> = {},
): Promise<TelemetryProxy> {
  const tmp = tempDir();
  const file = join(tmp.dir, 'fieldlab.yaml');
  writeFileSync(file, yaml);
  const log = pino({ level: 'silent' });
  const pools = createPoolRegistry();
  const shadowPools = createPoolRegistry();
  const config = createConfigManager({ file, env: process.env, pools, shadowPools, log });
  const dispatcher = createShadowDispatcher();
  const pairs: ComparePair[] = [];
  const skips: string[] = [];
  const stores = await openStore(`sqlite:${join(tmp.dir, 'fieldlab.db')}`);
  const batcher = createDiffBatcher({ store: stores.diffs });
  const pipeline = createComparePipeline({ batcher });
  const sink: PairSink = {
    accepting: () => pipeline.accepting(),
    pair: (p, shadow, kind) => {
      pairs.push(p);
      pipeline.pair(p, shadow, kind);
    },
    skip: (route, shadow, reason) => {
      skips.push(`${route}/${shadow}:${reason}`);
      pipeline.skip(route, shadow, reason);
    },
  };
  const proxy = createProxyServer(config.current().config.limits, {
    current: config.current,
    log,
    draining: () => false,
    mirror: { dispatcher, sink },
    observers: () => observers,
    observerGuard: createObserverGuard((observer, err) => log.error({ err, observer }, 'observer failed')),
  });
  const admin = createAdminServer({ config, ready: () => true, startedAt: new Date(), routes: adminRoutes });
  await Promise.all([listen(proxy), listen(admin)]);
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    adminUrl: `http://127.0.0.1:${(admin.address() as AddressInfo).port}`,
    config,
    file,
    dispatcher,
    mirrorStats: () => ({ dispatcher: dispatcher.stats(), compare: pipeline.stats(), storage: batcher.stats() }),
    comparedAll: () => pipeline.idle(),
    pairs,
    skips,
    async shadowsSettled() {
      for (let i = 0; i < 500; i++) {
        const s = dispatcher.stats();
        if (s.inFlight === 0 && s.queued === 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('shadow copies did not settle');
    },
    async close() {
      await Promise.all([close(proxy), close(admin)]);
      await Promise.all([pools.closeAll(true), shadowPools.closeAll(true)]);
      await pipeline.idle();
      await batcher.stop();
      await stores.close();
      tmp.remove();
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
