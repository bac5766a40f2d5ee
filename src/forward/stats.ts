/**
 * Counters of the forward path's protections, process-wide (every pool feeds them). Read by metrics
 * and tests; plain numbers so counting costs an increment.
 */

/** What the forwarder refused, cut or retried. */
export interface ForwardStats {
  /** 503 FL_UPSTREAM_QUEUE_FULL answers. */
  queueFull: number;
  /** 503 FL_UPSTREAM_QUEUE_TIMEOUT answers. */
  queueTimeouts: number;
  /** 408 FL_UPLOAD_TOO_SLOW cuts. */
  slowUploads: number;
  /** FL_CLIENT_STALLED cuts (a client that stopped reading). */
  stalledReaders: number;
  /** Requests re-sent once on a fresh connection after a stale keep-alive one failed. */
  retries: number;
}

/** The process-wide counters. */
export const forwardStats: ForwardStats = { queueFull: 0, queueTimeouts: 0, slowUploads: 0, stalledReaders: 0, retries: 0 };
