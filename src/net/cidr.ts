/**
 * CIDR blocks and the trusted-proxy set compiled from them, over IPv4 (as 32-bit) or IPv6 (as
 * 128-bit) integers. Config validates and compiles them; ingress asks the set about each hop.
 */
import { isIP } from 'node:net';
import { stripV4Mapped } from './ip.js';

/** A parsed CIDR block. */
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

/**
 * Builds the trust set once at config compile.
 * @example createTrustedProxies(['10.0.0.0/8']).has('::ffff:10.1.2.3') // true
 */
export function createTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  return createCidrSet(cidrs);
}

/**
 * A set of CIDR blocks, compiled once (trusted proxies, targeting by client IP); unparsable entries
 * are left out (the config validated them).
 * @example createCidrSet(['10.0.0.0/8', '2001:db8::/32']).has('10.1.2.3') // true
 */
export function createCidrSet(cidrs: readonly string[]): TrustedProxies {
  const blocks = cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  // IPv4 blocks as merged, sorted [start, end] ranges of 32-bit numbers: the common case (every hop
  // behind a proxy, targeting by a country's thousands of prefixes) is a binary search of integer
  // compares instead of a BigInt test per block.
  const { starts, ends } = v4Ranges(blocks.filter((b) => !b.v6));
  const v6 = blocks.filter((b) => b.v6);
  return {
    empty: blocks.length === 0,
    has(ip) {
      const n = ipv4Number(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
      if (n !== -1) {
        let lo = 0;
        let hi = starts.length - 1;
        // The last range starting at or below n is the only one that can hold it.
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          if (starts[mid]! <= n) lo = mid + 1;
          else hi = mid - 1;
        }
        return hi >= 0 && n <= ends[hi]!;
      }
      if (v6.length === 0) return false;
      const value = ipToBigInt(ip);
      if (value === undefined || isIP(stripV4Mapped(ip)) !== 6) return false;
      return v6.some((b) => (value & b.mask) === b.base);
    },
  };
}

/** IPv4 blocks as sorted ranges, overlapping and adjacent ones merged. */
function v4Ranges(blocks: readonly Cidr[]): { starts: Float64Array; ends: Float64Array } {
  const spans = blocks
    .map((b) => [Number(b.base), Number(b.base) + (0xffffffff - Number(b.mask))] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of spans) {
    const last = merged.at(-1);
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return { starts: Float64Array.from(merged, (m) => m[0]), ends: Float64Array.from(merged, (m) => m[1]) };
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 when `s` is not exactly one. */
function ipv4Number(s: string): number {
  let n = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (octet === -1 || ++dots > 3) return -1;
      n = n * 256 + octet;
      octet = -1;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros ("010" is not an IPv4 address to node's isIP either).
      if (octet === 0) return -1;
      octet = (octet === -1 ? 0 : octet * 10) + (c - 48);
      if (octet > 255) return -1;
    } else return -1;
  }
  return dots === 3 && octet !== -1 ? n * 256 + octet : -1;
}
