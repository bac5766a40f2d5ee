/**
 * Structured JSON logs (pino). Writes are buffered and asynchronous so logging never blocks the
 * event loop on a slow stdout; `flush()` runs at shutdown so the last lines are not lost.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process logger.
 * @example const log = createLogger('info'); log.info({ route: 'checkout' }, 'reloaded')
 */
export function createLogger(level: string, dest: number | string = 1): Logger {
  return pino(
    { level, base: { svc: 'fieldlab' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest, sync: false, minLength: 4096 }),
  );
}
