/**
 * Client IP resolution. The socket peer is the truth unless it is a proxy we trust; then we walk
 * X-Forwarded-For from the right, skipping trusted hops, and take the first untrusted address
 * (the rightmost-untrusted rule: anything left of it could have been written by the client).
 */
import { isIP } from 'node:net';
import type { TrustedProxies } from '../net/cidr.js';
import { stripV4Mapped } from '../net/ip.js';

/**
 * The client's address: the socket peer, or, when the peer is trusted, the rightmost untrusted
 * X-Forwarded-For entry.
 * @example resolveClientIp('10.0.0.2', '6.6.6.6, 1.2.3.4', trusted) // '1.2.3.4' when 10/8 is trusted
 */
export function resolveClientIp(peer: string, xff: string | undefined, trusted: TrustedProxies): string {
  const socketIp = stripV4Mapped(peer);
  if (trusted.empty || !xff || !trusted.has(socketIp)) return socketIp;
  const hops = xff.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = stripV4Mapped(hops[i]!.trim());
    if (!isIP(hop)) return socketIp; // a garbled chain is not evidence; fall back to what we saw
    if (!trusted.has(hop)) return hop;
  }
  return stripV4Mapped(hops[0]!.trim());
}
