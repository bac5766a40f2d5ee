/**
 * Address helpers shared by ingress (client IP, X-Forwarded-For), config (trusted proxies) and the
 * admin listener (loopback check): one place that knows what an IPv4-mapped IPv6 address looks like.
 */
import { isIP } from 'node:net';

/**
 * Strips the IPv4-mapped prefix (RFC 4291 §2.5.5.2) a dual-stack socket puts before v4 peers, so
 * `::ffff:10.0.0.1` and `10.0.0.1` are the same client everywhere. Other addresses are returned as is.
 * @example stripV4Mapped('::ffff:10.0.0.1') // '10.0.0.1'
 */
export function stripV4Mapped(addr: string): string {
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

/**
 * True for addresses only reachable from this machine (the admin listener's safe default).
 * @example isLoopback('127.0.0.1') // true
 */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
