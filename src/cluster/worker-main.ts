/**
 * The entry point of a worker process (forked by supervisor.ts with its index, the config file and
 * the port sharing in the environment). A worker drains and exits 0 when the primary says `drain`,
 * on SIGTERM, or when the primary is gone; SIGINT and SIGHUP reach the whole process group from a
 * terminal, and the primary answers those for everyone, so a worker ignores them.
 */
import { resolve } from 'node:path';
import { startApp, type App } from '../app.js';
import { parsePrimaryMessage } from './protocol.js';
import { createWorkerRole } from './worker.js';

const env = process.env;
const index = Number(env.FIELDLAB_WORKER_INDEX ?? '0');
const worker = createWorkerRole({
  index,
  sharing: env.FIELDLAB_WORKER_SHARING === 'reuseport' ? 'reuseport' : 'cluster',
  ...(env.FIELDLAB_WORKER_PORT ? { port: Number(env.FIELDLAB_WORKER_PORT) } : {}),
  send: (m, done) => (process.send ? process.send(m, undefined, {}, done) : false),
});

let app: App | undefined;
let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await app?.stop();
    process.exit(0);
  })());

process.on('message', (raw: unknown) => {
  const m = parsePrimaryMessage(raw);
  if (!m) return;
  if (m.t === 'drain') void stop();
  else worker.receive(m);
});
process.on('disconnect', () => {
  worker.disconnected();
  void stop();
});
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

try {
  app = await startApp({ configFile: resolve(env.FIELDLAB_WORKER_CONFIG ?? 'config/fieldlab.yaml'), env, watch: false, role: worker.role });
  worker.channel.send({ t: 'ready', port: app.proxyPort() });
} catch (err) {
  process.stderr.write(`fieldlab worker ${index}: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
