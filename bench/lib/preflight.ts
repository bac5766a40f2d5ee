/** One real request before any load: a peer must return the upstream's exact body to be measured at all. */
import http from 'node:http';

/** Status and body of one GET, on a fresh socket so nothing lingers into the measured run. */
export function fetchOnce(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('preflight timed out after 5 s')));
    req.on('error', reject);
  });
}

/**
 * Throws unless the peer answers 200 with `expected`: a proxy that answers fast with the wrong thing (an
 * error page, an empty body) would otherwise look like a winner.
 *
 * @example
 * await preflight(peer.port, '/api/items/1', upstreamBody);
 */
export async function preflight(port: number, path: string, expected: Buffer): Promise<void> {
  const { status, body } = await fetchOnce(port, path, { 'x-user-id': 'preflight' });
  if (status !== 200 || !body.equals(expected)) {
    const got = body.subarray(0, 200).toString('utf8');
    throw new Error(
      `preflight GET ${path}: expected 200 with the upstream's ${expected.length}-byte body, got ${status} with ${body.length} bytes: ${got}`,
    );
  }
}
