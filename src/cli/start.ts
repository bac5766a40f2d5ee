/**
 * `fieldlab start`: run the proxy until SIGTERM/SIGINT (graceful drain, exit 0). SIGHUP reloads
 * the config, like a file change does.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { startApp, type App } from '../app.js';
import { createPrimaryRole } from '../cluster/primary.js';
import type { ProcessRole } from '../cluster/role.js';
import { chooseSharing } from '../cluster/sharing.js';
import { loadConfigFile } from '../config/load.js';
import { StartupConfigError } from '../config/manager.js';
import { MAX_WORKERS } from '../config/schema-workers.js';
import { FL_STARTUP_FAILED, isRegisteredCode } from '../errors.js';
import { readFlags, usageLine } from './flags.js';
import { flag, type CliIo } from './io.js';
import { START } from './start-args.js';
import { settleLog } from '../telemetry/logger.js';

// Re-exported: start.ts was their home, and embedders import them from here.
export { flag, type CliIo } from './io.js';
export { START } from './start-args.js';

/**
 * Starts the app for `file` and installs signal handlers. Returns undefined (after printing why)
 * when the config is invalid or a port is taken.
 */
export async function startWithSignals(file: string, io: CliIo, watch = true, role?: ProcessRole): Promise<App | undefined> {
  let app: App;
  try {
    app = await startApp({ configFile: resolve(file), env: io.env, watch, ...(role ? { role } : {}) });
  } catch (err) {
    if (err instanceof StartupConfigError) {
      io.err(`fieldlab: ${file} is invalid, not starting [${err.code}]:`);
      for (const line of err.lines) io.err(`  ${line}`);
    } else {
      // Every startup failure names its registry code (FieldlabError, or any error carrying a
      // registered `code`, like a store that can't open); one without is FL_STARTUP_FAILED.
      const own = (err as { code?: unknown }).code;
      const code = isRegisteredCode(own) ? own : FL_STARTUP_FAILED.code;
      const message = err instanceof Error ? err.message : String(err);
      // A message that already leads with its code (FL_STORE_OPEN: …) is printed as it is.
      io.err(message.startsWith(`${code}: `) ? `fieldlab: could not start: ${message}` : `fieldlab: could not start [${code}]: ${message}`);
    }
    return undefined;
  }
  const stop = (signal: string) => {
    app.log.info({ signal }, 'shutdown requested');
    // 0 unless something set an exit code on the way (a primary whose every worker crash-loops: 1).
    // The last lines (the drain's) are written before exiting, in order (telemetry/logger.ts settleLog).
    void app
      .stop()
      .then(() => settleLog(app.log))
      .then(() => process.exit());
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void app.reload('SIGHUP'));
  return app;
}

/**
 * `--workers N|auto`, else the config's `workers:` (auto: one per core); 1 when neither says more
 * (or the file is invalid: the normal start reports why).
 * @example workerCount(['--workers', 'auto'], 'fieldlab.yaml', {}) // { ok: true, count: os.availableParallelism() }
 */
export function workerCount(
  args: readonly string[],
  file: string,
  env: Record<string, string | undefined>,
): { ok: true; count: number } | { ok: false; error: string } {
  const raw = flag(args, 'workers');
  if (raw === undefined && args.includes('--workers'))
    return { ok: false, error: '--workers needs a value: a number from 1 to 256 or auto' };
  const auto = () => ({ ok: true as const, count: availableParallelism() });
  if (raw === undefined) {
    const loaded = loadConfigFile(resolve(file), env);
    if (!loaded.ok || loaded.config.workers === 1) return { ok: true, count: 1 };
    return loaded.config.workers === 'auto' ? auto() : { ok: true, count: loaded.config.workers };
  }
  if (raw === 'auto') return auto();
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_WORKERS)) return { ok: false, error: `--workers takes a number from 1 to ${MAX_WORKERS} or auto, not "${raw}"` };
  return { ok: true, count: n };
}

/** `fieldlab start [--config FILE] [--no-watch] [--workers N|auto]` */
export async function runStart(args: string[], io: CliIo): Promise<number | undefined> {
  const parsed = readFlags(START, args, io);
  if (typeof parsed === 'number') return parsed;
  const file = flag(args, 'config') ?? 'config/fieldlab.yaml';
  const workers = workerCount(args, file, io.env);
  if (!workers.ok) {
    io.err(`fieldlab start: ${workers.error}\nusage: ${usageLine(START.name, START.flags)}`);
    return 2;
  }
  let role: ProcessRole | undefined;
  if (workers.count > 1) {
    const sharing = chooseSharing(io.env.FIELDLAB_WORKER_SHARING);
    if (!sharing.ok) {
      io.err(`fieldlab start: ${sharing.error}`);
      return 2;
    }
    role = createPrimaryRole({ count: workers.count, sharing: sharing.sharing, configFile: resolve(file), env: io.env });
  }
  const app = await startWithSignals(file, io, !args.includes('--no-watch'), role);
  return app ? undefined : 1; // undefined: keep running
}
