/**
 * Owns the live snapshot. A reload loads, validates and compiles the file, then swaps the snapshot
 * in one assignment; requests already running keep the one they started with. An invalid file never
 * replaces a good one: the error is logged and kept for the admin API, and the old config serves on.
 */
import { FL_CONFIG_INVALID, FieldlabError } from '../errors.js';
import { compileSnapshot, type SeedOf, type Snapshot } from './compile.js';
import type { RawConfig } from './schema.js';
import { formatConfigError, loadConfigFile, loadConfigText } from './load.js';
import type { PoolRegistry } from '../forward/pools.js';
import type { Logger } from '../telemetry/logger.js';

/** The outcome of the last reload attempt, as shown on `/config`. */
export interface ReloadResult {
  readonly at: Date;
  readonly ok: boolean;
  /** True when the file was unchanged and nothing was swapped. */
  readonly unchanged: boolean;
  readonly version: number;
  readonly trigger: string;
  /** `file:line:col path: reason` lines when the reload was rejected. */
  readonly errors: readonly string[];
  /** Settings that changed but only apply after a restart (listen addresses, header size). */
  readonly restartRequired: readonly string[];
}

/** The live config. */
export interface ConfigManager {
  current(): Snapshot;
  lastReload(): ReloadResult | undefined;
  /**
   * Reloads from disk (or from `text`, the source a primary process already validated, so its
   * workers apply exactly that); resolves once the swap happened (or was refused).
   */
  reload(trigger: string, text?: string): Promise<ReloadResult>;
  /** The live config's source text (what a primary sends its workers). */
  text(): string;
  /**
   * Calls `listener` on every swap, in the same tick as the swap (so no request sees the new routes
   * before their run-time state is attached). Listeners run in registration order.
   */
  onSwap(listener: (next: Snapshot, prev: Snapshot) => void): void;
  /** Refuses further reloads (shutdown has started: pools are closing). */
  close(): void;
}

/** Thrown only at startup, when there is no running config to fall back on (code FL_CONFIG_INVALID). */
export class StartupConfigError extends FieldlabError {
  constructor(readonly lines: readonly string[]) {
    super(FL_CONFIG_INVALID, `invalid config:\n${lines.join('\n')}`);
  }
}

/**
 * Loads the initial config (throws StartupConfigError when invalid) and returns the manager.
 * @example const cfg = createConfigManager({ file, env: process.env, pools, shadowPools, log }); cfg.onSwap((next) => …)
 */
export function createConfigManager(opts: {
  file: string;
  env: Record<string, string | undefined>;
  pools: PoolRegistry;
  shadowPools: PoolRegistry;
  log: Logger;
  /** Route hash seeds (routing/seeds.ts). */
  seedOf?: SeedOf;
  /** Awaited before a reloaded config is compiled (loads seeds of new routes); its error lines refuse the reload. */
  prepare?: (config: RawConfig) => Promise<readonly string[] | undefined>;
  /** The first config's text, in place of reading `file` (a worker starts from its primary's live config). */
  text?: string;
}): ConfigManager {
  const first = opts.text === undefined ? loadConfigFile(opts.file, opts.env) : loadConfigText(opts.text, opts.file, opts.env);
  if (!first.ok) throw new StartupConfigError(first.errors.map(formatConfigError));
  let snapshot = compileSnapshot(first.config, first.text, opts.file, 1, opts.pools, opts.shadowPools, opts.seedOf);
  let liveText = first.text;
  let last: ReloadResult | undefined;
  let closed = false;
  const swapListeners: ((next: Snapshot, prev: Snapshot) => void)[] = [];

  const result = (ok: boolean, trigger: string, extra: Partial<ReloadResult> = {}): ReloadResult =>
    (last = { at: new Date(), ok, unchanged: false, version: snapshot.version, trigger, errors: [], restartRequired: [], ...extra });

  return {
    current: () => snapshot,
    text: () => liveText,
    lastReload: () => last,
    onSwap(listener) {
      swapListeners.push(listener);
    },
    close() {
      closed = true;
    },
    async reload(trigger, text) {
      if (closed) return result(false, trigger, { errors: ['shutting down: reloads are refused'] });
      const loaded = text === undefined ? loadConfigFile(opts.file, opts.env) : loadConfigText(text, opts.file, opts.env);
      if (!loaded.ok) {
        const errors = loaded.errors.map(formatConfigError);
        opts.log.error(
          { type: 'reload', trigger, errors, version: snapshot.version },
          'config reload rejected; keeping the running config',
        );
        return result(false, trigger, { errors });
      }
      const refused = await opts.prepare?.(loaded.config);
      if (refused?.length) {
        opts.log.error(
          { type: 'reload', trigger, errors: refused, version: snapshot.version },
          'config reload rejected; keeping the running config',
        );
        return result(false, trigger, { errors: [...refused] });
      }
      const prev = snapshot;
      const next = compileSnapshot(loaded.config, loaded.text, opts.file, prev.version + 1, opts.pools, opts.shadowPools, opts.seedOf);
      if (next.digest === prev.digest) {
        // Editors fire several events per save; an identical file is not a new version.
        await Promise.all([opts.pools.retain(prev.poolKeys), opts.shadowPools.retain(prev.shadowPoolKeys)]);
        return result(true, trigger, { unchanged: true });
      }
      snapshot = next;
      liveText = loaded.text;
      const restartRequired = restartOnly(prev, next);
      for (const listener of swapListeners) listener(next, prev);
      opts.log.info(
        { type: 'reload', trigger, version: next.version, digest: next.digest.slice(0, 12), restartRequired },
        'config reloaded',
      );
      // Pools the new snapshot no longer uses close after their in-flight requests finish.
      void opts.pools.retain(next.poolKeys);
      void opts.shadowPools.retain(next.shadowPoolKeys);
      return result(true, trigger, { restartRequired });
    },
  };
}

function restartOnly(prev: Snapshot, next: Snapshot): string[] {
  const changed: string[] = [];
  const a = prev.config;
  const b = next.config;
  if (a.listen.host !== b.listen.host || a.listen.port !== b.listen.port) changed.push('listen');
  if (a.admin.listen.host !== b.admin.listen.host || a.admin.listen.port !== b.admin.listen.port) changed.push('admin.listen');
  if (JSON.stringify(a.metrics?.listen) !== JSON.stringify(b.metrics?.listen)) changed.push('metrics.listen');
  if (a.limits.maxHeaderSize !== b.limits.maxHeaderSize) changed.push('limits.maxHeaderSize');
  if (a.store.url !== b.store.url) changed.push('store');
  if (a.workers !== b.workers) changed.push('workers');
  if (JSON.stringify(a.tracing) !== JSON.stringify(b.tracing)) changed.push('tracing');
  return changed;
}
