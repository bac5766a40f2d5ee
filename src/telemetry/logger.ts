/**
 * Structured JSON logs (pino). Writes are asynchronous so logging never blocks the event loop on a
 * slow stdout, and only the high-volume lines (access, rejected requests) are batched: they are
 * flushed at least every `flushMs` (250 ms). Every other line — startup, reload, decision, warning,
 * error — is flushed as it is written, so nothing of importance sits in a buffer when the process
 * is killed (kill -9 included: the write has been handed to the kernel).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** `type` values of the lines that may wait for the periodic flush; everything else is written at once. */
export const BATCHED_LOG_TYPES: ReadonlySet<string> = new Set(['access', 'client_error']);

/** How often batched lines are flushed at the latest. */
export const LOG_FLUSH_MS = 250;

/**
 * Creates the process logger.
 * @example const log = createLogger('info'); log.info({ route: 'checkout' }, 'reloaded')
 */
export function createLogger(level: string, dest: number | string = 1, flushMs = LOG_FLUSH_MS): Logger {
  const stream = pino.destination({ dest, sync: false, minLength: 4096 });
  // Set by a batched line, cleared by a flush: an idle logger makes no write calls.
  let pending = false;
  const flush = () => {
    pending = false;
    try {
      stream.flush();
    } catch {
      // Destroyed at exit: nothing left to write.
    }
  };
  setInterval(() => pending && flush(), flushMs).unref();
  return pino(
    {
      level,
      base: { svc: 'fieldlab' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method, lvl) {
          method.apply(this, args);
          const first = args[0] as { type?: unknown } | undefined;
          const bulk = lvl < 40 && typeof first === 'object' && first !== null && BATCHED_LOG_TYPES.has(String(first.type));
          if (bulk) pending = true;
          else flush();
        },
      },
    },
    stream,
  );
}
