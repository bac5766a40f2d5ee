/**
 * Browser-borne attacks on the admin API. Tokens stop a stranger, but not the operator's own browser:
 * with no token configured (the loopback default) any page the operator visits could POST a rollback
 * to http://127.0.0.1:9901 (a simple form needs no CORS preflight), and a DNS-rebinding page (a name
 * that resolves to 127.0.0.1 after the page loaded) could read /config and /status. Two checks close
 * both without touching non-browser clients (curl, the CLI, Prometheus send neither header):
 * - writes refuse a request whose `Sec-Fetch-Site` says it came from another site (Fetch Metadata,
 *   https://www.w3.org/TR/fetch-metadata/), or, from an older browser without it, whose `Origin` is
 *   another origin;
 * - an open (token-less) API answers only requests addressed to a loopback name or the bound address,
 *   so a rebound hostname gets nothing (the browser sends the attacker's name in `Host`).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { isLoopback, stripV4Mapped } from '../net/ip.js';

/**
 * Why a request looks browser-forged, or undefined when it is fine.
 * `open`: no token is configured; `bound`: the address the listener is bound to.
 * @example crossSiteReason(req, true, '127.0.0.1') // 'Host evil.example is not this admin listener'
 */
export function crossSiteReason(req: IncomingMessage, open: boolean, bound: string | undefined): string | undefined {
  const host = req.headers.host ?? '';
  if (open && !hostIsLocal(host, bound)) return `Host ${printable(host)} is not this admin listener`;
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  // A browser that sends Fetch Metadata is believed on its own: it knows the page's origin even when a
  // reverse proxy in front rewrites Host (nginx's default `proxy_pass` sends the upstream's address).
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? undefined : `a ${printable(site)} request may not act`;
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, host)) return `Origin ${printable(origin)} is not this admin listener`;
  return undefined;
}

/** The hostname part of a Host header value: `[::1]:9901` → `::1`, `localhost:9901` → `localhost`. */
function hostname(hostHeader: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (v6) return v6[1]!.toLowerCase();
  return hostHeader.replace(/:\d+$/, '').toLowerCase();
}

function hostIsLocal(hostHeader: string, bound: string | undefined): boolean {
  const name = hostname(hostHeader);
  if (name === '') return true; // HTTP/1.0 without Host: not a browser
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) !== 0) return isLoopback(stripV4Mapped(name)) || (bound !== undefined && stripV4Mapped(bound) === stripV4Mapped(name));
  return false;
}

function sameOrigin(origin: string, hostHeader: string): boolean {
  if (origin === 'null') return false;
  try {
    return new URL(origin).host.toLowerCase() === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}

/** Header values are attacker text: keep them short and printable in replies and logs. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}
