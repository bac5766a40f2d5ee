/**
 * Client IP resolution. The socket peer is the truth unless it is a proxy we trust; then we walk
 * X-Forwarded-For from the right, skipping trusted hops, and take the first untrusted address
 * (the rightmost-untrusted rule: anything left of it could have been written by the client).
 */
import { isIP } from 'node:net';

/** A parsed CIDR block over IPv4 (as 32-bit) or IPv6 (as 128-bit) integers. */
export interface Cidr {
  readonly v6: boolean;
  readonly base: bigint;
  readonly mask: bigint;
}

/**
 * Parses `10.0.0.0/8`, `::1/128` or a bare address (a /32 or /128).
 * @example parseCidr('10.0.0.0/8')?.v6 // false
 */
export function parseCidr(text: string): Cidr | undefined {
  const [addr = '', bitsText] = text.trim().split('/');
  const value = ipToBigInt(addr);
  if (value === undefined) return undefined;
  const v6 = isIP(stripV4Mapped(addr)) === 6;
  const width = v6 ? 128 : 32;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return undefined;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { v6, base: value & mask, mask };
}

function stripV4Mapped(addr: string): string {
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

function ipToBigInt(raw: string): bigint | undefined {
  const addr = stripV4Mapped(raw);
  const kind = isIP(addr);
  if (kind === 4) {
    return addr.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  }
  if (kind !== 6) return undefined;
  const [head = '', tail] = addr.split('::');
  const parse = (s: string) => (s ? s.split(':') : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16) || 0), 0n);
}

/** A compiled set of trusted proxy ranges. Empty → nothing is trusted and XFF is ignored. */
export interface TrustedProxies {
  readonly empty: boolean;
  has(ip: string): boolean;
}

/** Builds the trust set once at config compile. */
export function createTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const blocks = cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  return {
    empty: blocks.length === 0,
    has(ip) {
      const value = ipToBigInt(ip);
      if (value === undefined) return false;
      const v6 = isIP(stripV4Mapped(ip)) === 6;
      return blocks.some((b) => b.v6 === v6 && (value & b.mask) === b.base);
    },
  };
}

/**
 * The client's address: the socket peer, or, when the peer is trusted, the rightmost untrusted
 * X-Forwarded-For entry.
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
