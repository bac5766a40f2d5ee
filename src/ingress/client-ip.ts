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
    const hop = hopAddress(hops[i]!);
    if (!isIP(hop)) return socketIp; // a garbled chain is not evidence; fall back to what we saw
    if (!trusted.has(hop)) return hop;
  }
  return hopAddress(hops[0]!);
}

/**
 * One X-Forwarded-For entry as an address. Some proxies write the client's port too (Azure
 * Application Gateway: `203.0.113.7:5555`, IPv6 as `[2001:db8::1]:443`); the port is dropped so the
 * entry names the client instead of reading as garbage (which falls back to the proxy's address).
 */
function hopAddress(entry: string): string {
  const hop = entry.trim();
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(hop);
  if (v6) return stripV4Mapped(v6[1]!);
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  return stripV4Mapped(v4 ? v4[1]! : hop);
}
