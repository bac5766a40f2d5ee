/** Reads Fieldlab's mirror counters and shadow limits over the admin API, and what a shadow received. */
import { fetchOnce } from './preflight.js';

/** The parts of admin `GET /mirror` the report shows. */
export interface MirrorCounters {
  dispatcher: { sent: number; completed: number; failed: number; dropped: number; inFlight: number; queued: number };
  compare: { queued: number; compared: number; dropped: number; failed: number };
  storage: { flushes: number; failures: number; written: number; dropped: Record<string, number>; pending: number; lastError?: string };
}

/** The resolved shadow settings the memory bound is computed from (bytes). */
export interface ShadowLimits {
  concurrency: number;
  queue: number;
  timeoutMs: number;
  /** Request-body copy cap (`shadow.maxBody`). */
  requestBody: number;
  /** Request-head cap (`limits.maxHeaderSize`): the copied headers can't be larger. */
  requestHead: number;
  /** Per-side capture cap (`shadow.compare.maxBody`); a pending job holds the primary's and the shadow's. */
  capture: number;
}

async function getJson(port: number, path: string): Promise<unknown> {
  const { status, body } = await fetchOnce(port, path, {});
  if (status !== 200) throw new Error(`GET ${path} on port ${port}: status ${status}: ${body.subarray(0, 200).toString('utf8')}`);
  return JSON.parse(body.toString('utf8')) as unknown;
}

/** @example const counters = await readMirror(fl.adminPort); */
export async function readMirror(adminPort: number): Promise<MirrorCounters> {
  return (await getJson(adminPort, '/mirror')) as MirrorCounters;
}

/**
 * The first route's first shadow as Fieldlab resolved it (defaults applied), from admin `GET /config`,
 * so the bound follows the code's defaults instead of a copy of them.
 *
 * @example const limits = await readShadowLimits(fl.adminPort);
 */
export async function readShadowLimits(adminPort: number): Promise<ShadowLimits> {
  type Cfg = {
    limits: { maxHeaderSize: number };
    routes: { shadow: { concurrency: number; queue: number; timeout: number; maxBody: number; compare: { maxBody: number } }[] }[];
  };
  const { config } = (await getJson(adminPort, '/config')) as { config: Cfg };
  const s = config.routes[0]?.shadow[0];
  if (!s) throw new Error('GET /config: the bench route has no shadow');
  return {
    concurrency: s.concurrency,
    queue: s.queue,
    timeoutMs: s.timeout,
    requestBody: s.maxBody,
    requestHead: config.limits.maxHeaderSize,
    capture: s.compare.maxBody,
  };
}

/**
 * Most bytes of request and response data one shadow lane can hold: every running or queued job keeps
 * its request copy (head + body, each capped) and the primary's capture, and fills the shadow's capture.
 */
export function memoryBound(l: ShadowLimits): { jobs: number; perJob: number; bytes: number } {
  const jobs = l.concurrency + l.queue;
  const perJob = l.requestHead + l.requestBody + 2 * l.capture;
  return { jobs, perJob, bytes: jobs * perJob };
}

/** Requests a bench upstream received since the last call (its `/__arms` counts, summed and reset). */
export async function shadowReceived(port: number): Promise<number> {
  const arms = (await getJson(port, '/__arms')) as Record<string, number>;
  return Object.values(arms).reduce((a, b) => a + b, 0);
}
