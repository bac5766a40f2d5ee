/**
 * `admin.traceUrl`: where the dashboard and the shadow-diff report link a trace id — your tracing
 * UI's trace page, with `{traceId}` where the id goes. Checked at load, so a typo fails `fieldlab
 * validate` with its line and column instead of producing dead links.
 */
import { z } from 'zod';

/** The placeholder a trace URL template must contain. */
export const TRACE_ID_PLACEHOLDER = '{traceId}';

/**
 * `admin.traceUrl`: an http(s) URL template containing `{traceId}`.
 * @example TraceUrl.parse('https://jaeger.example/trace/{traceId}')
 */
export const TraceUrl = z
  .string()
  .refine((t) => t.includes(TRACE_ID_PLACEHOLDER), { message: `traceUrl must contain ${TRACE_ID_PLACEHOLDER} where the trace id goes` })
  .refine(
    (t) => {
      try {
        return /^https?:$/.test(new URL(t.replaceAll(TRACE_ID_PLACEHOLDER, '0af7651916cd43dd8448eb211c80319c')).protocol);
      } catch {
        return false;
      }
    },
    { message: 'traceUrl must be an http(s) URL, e.g. https://jaeger.example/trace/{traceId}' },
  )
  .describe('Trace page of your tracing UI with {traceId} where the id goes; the dashboard and the diff report link trace ids to it');
