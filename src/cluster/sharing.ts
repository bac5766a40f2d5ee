/**
 * How N worker processes share one listening port. `reuseport`: every worker binds the port
 * itself with SO_REUSEPORT and the kernel spreads new connections over them (Linux, Node ≥ 22.12 —
 * `reusePort` on `listen` — no hop through the primary). `cluster`: node:cluster's primary holds
 * the socket and hands connections to workers round-robin (every platform, every Node). `auto`
 * picks reuseport where it works; FIELDLAB_WORKER_SHARING selects one.
 */
import type { Server } from 'node:http';
import { FL_LISTEN_FAILED, FieldlabError } from '../errors.js';

/** A way to share the port. */
export type Sharing = 'cluster' | 'reuseport';

/**
 * Whether this platform and Node version can bind one port from several processes with `reusePort`.
 * @example reusePortSupported('linux', 'v22.12.0') // true
 * @example reusePortSupported('linux', 'v20.20.2') // false
 */
export function reusePortSupported(platform: string, version: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (platform !== 'linux' || !m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * The sharing to use for `requested` (FIELDLAB_WORKER_SHARING: cluster, reuseport, auto or unset).
 * @example chooseSharing(undefined, 'linux', 'v20.20.2') // { ok: true, sharing: 'cluster' }
 * @example chooseSharing('reuseport', 'darwin', 'v22.12.0') // { ok: false, error: 'FIELDLAB_WORKER_SHARING=reuseport needs …' }
 */
export function chooseSharing(
  requested: string | undefined,
  platform: string = process.platform,
  version: string = process.version,
): { ok: true; sharing: Sharing } | { ok: false; error: string } {
  const want = requested?.trim() || 'auto';
  const supported = reusePortSupported(platform, version);
  if (want === 'auto') return { ok: true, sharing: supported ? 'reuseport' : 'cluster' };
  if (want === 'cluster') return { ok: true, sharing: 'cluster' };
  if (want === 'reuseport')
    return supported
      ? { ok: true, sharing: 'reuseport' }
      : { ok: false, error: `FIELDLAB_WORKER_SHARING=reuseport needs Linux and Node ≥ 22.12 (this is ${platform}, Node ${version})` };
  return { ok: false, error: `FIELDLAB_WORKER_SHARING must be cluster, reuseport or auto, not "${want}"` };
}

/**
 * Binds `server` on a port other processes bind too (SO_REUSEPORT; `exclusive` keeps node:cluster
 * from routing the bind through the primary).
 * @example await listenShared(proxy, '0.0.0.0', 8080)
 */
export function listenShared(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) =>
      reject(
        new FieldlabError(FL_LISTEN_FAILED, `could not listen on ${host}:${port} (reusePort): ${err.code ?? err.message}`, { cause: err }),
      );
    server.once('error', fail);
    // `reusePort` is newer than @types/node 20.
    server.listen({ host, port, exclusive: true, reusePort: true } as Parameters<Server['listen']>[0], () => {
      server.off('error', fail);
      resolve();
    });
  });
}
