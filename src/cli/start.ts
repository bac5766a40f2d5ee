/**
 * `fieldlab start`: run the proxy until SIGTERM/SIGINT (graceful drain, exit 0). SIGHUP reloads
 * the config, like a file change does.
 */
import { resolve } from 'node:path';
import { startApp, type App } from '../app.js';
import { StartupConfigError } from '../config/manager.js';
import { FL_STARTUP_FAILED, isRegisteredCode } from '../errors.js';

/** Console-like sinks, so commands are testable in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

/** Reads `--name value` or `--name=value` from args. */
export function flag(args: readonly string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  const a = args[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}

/**
 * Starts the app for `file` and installs signal handlers. Returns undefined (after printing why)
 * when the config is invalid or a port is taken.
 */
export async function startWithSignals(file: string, io: CliIo, watch = true): Promise<App | undefined> {
  let app: App;
  try {
    app = await startApp({ configFile: resolve(file), env: io.env, watch });
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
    void app.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void app.reload('SIGHUP'));
  return app;
}

/** `fieldlab start [--config FILE] [--no-watch]` */
export async function runStart(args: string[], io: CliIo): Promise<number | undefined> {
  const file = flag(args, 'config') ?? 'config/fieldlab.yaml';
  const app = await startWithSignals(file, io, !args.includes('--no-watch'));
  return app ? undefined : 1; // undefined: keep running
}
