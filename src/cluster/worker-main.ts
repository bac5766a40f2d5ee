/**
 * The entry point of a worker process (forked by supervisor.ts with its index and the port sharing
 * in the environment). It starts from the config text the primary sends first — never from the
 * file, which may hold an edit the primary refused or has not applied yet. A worker drains and
 * exits 0 when the primary says `drain`, on SIGTERM, or when the primary is gone; SIGINT and
 * SIGHUP reach the whole process group from a terminal, and the primary answers those for
 * everyone, so a worker ignores them.
 */
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import { startApp, type App } from '../app.js';
import { FL_STARTUP_FAILED, isRegisteredCode } from '../errors.js';
import { setFaultShare, setFaultsEnabled } from '../faults/control.js';
import { parsePrimaryMessage, type WorkerMessage } from './protocol.js';
import { createWorkerRole, type WorkerRole } from './worker.js';
import { settleLog } from '../telemetry/logger.js';

/** How long a new worker waits for the primary's config before it gives up. */
const CONFIG_WAIT_MS = 10_000;

const env = process.env;
const index = Number(env.FIELDLAB_WORKER_INDEX ?? '0');
// fault.maxActive is the group's: worker i (1-based) holds part i - 1 (on PostgreSQL the fleet's view replaces it).
setFaultShare(Math.max(0, index - 1), Math.max(1, Number(env.FIELDLAB_WORKER_COUNT ?? '1') || 1));
const send = (m: WorkerMessage, done: (err: Error | null) => void) => (process.send ? process.send(m, undefined, {}, done) : false);
// node:cluster exits a worker the moment its primary disconnects, unless the disconnect was asked
// for; marking it so lets the `disconnect` handler below drain in-flight requests first.
if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;

let worker: WorkerRole | undefined;
let app: App | undefined;
let stopping: Promise<void> | undefined;
/** `delayMs` 0 when the primary is gone: nobody is failing readiness for us, so stop accepting at once. */
const stop = (delayMs?: number) =>
  (stopping ??= (async () => {
    await app?.stop(undefined, delayMs);
    if (app) await settleLog(app.log);
    process.exit(0);
  })());

const configText = new Promise<string>((resolveText, reject) => {
  const timer = setTimeout(() => reject(new Error(`no config from the primary within ${CONFIG_WAIT_MS} ms`)), CONFIG_WAIT_MS);
  process.on('message', (raw: unknown) => {
    const m = parsePrimaryMessage(raw);
    if (!m) return;
    if (m.t === 'config') {
      // Only the first one counts; later changes arrive as `reload`.
      clearTimeout(timer);
      resolveText(m.text);
    } else if (m.t === 'drain') void stop();
    // Module-wide state: applied even before the app exists, so a restarted worker never serves a fault the switch forbids.
    else if (m.t === 'faults') setFaultsEnabled(m.enabled);
    else worker?.receive(m);
  });
});
send({ t: 'hello' }, () => undefined);
process.on('disconnect', () => {
  worker?.disconnected();
  void stop(0);
});
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

try {
  const text = await configText;
  worker = createWorkerRole({
    index,
    text,
    sharing: env.FIELDLAB_WORKER_SHARING === 'reuseport' ? 'reuseport' : 'cluster',
    ...(env.FIELDLAB_WORKER_PORT ? { port: Number(env.FIELDLAB_WORKER_PORT) } : {}),
    send,
  });
  app = await startApp({ configFile: resolve(env.FIELDLAB_WORKER_CONFIG ?? 'config/fieldlab.yaml'), env, watch: false, role: worker.role });
  worker.channel.send({ t: 'ready', port: app.proxyPort(), digest: app.config.current().digest });
} catch (err) {
  const own = (err as { code?: unknown }).code;
  const code = isRegisteredCode(own) ? own : FL_STARTUP_FAILED.code;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`fieldlab worker ${index}: could not start [${code}]: ${message}\n`);
  // The primary fails its own start with this reason (its first start) or restarts this worker.
  await new Promise((done) => send({ t: 'failed', code, message }, () => done(undefined)) || done(undefined));
  process.exit(1);
}
