/**
 * Report filters from a query string or CLI flags: route, shadow, endpoint, and a time window
 * given as an age (`1h`, `30m`), an ISO date or epoch ms.
 */
import { parseDuration } from '../config/units.js';
import type { DiffFilter } from '../storage/types.js';
import type { ReportPage } from './report.js';

/** A time bound: `1h` means "1 hour ago"; otherwise an ISO date or epoch milliseconds. */
export function parseTimeBound(text: string, now: number): number | undefined {
  const age = parseDuration(text);
  if (age.ok && /[a-z]$/i.test(text.trim())) return now - age.value;
  if (/^\d{12,}$/.test(text.trim())) return Number(text);
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Builds a DiffFilter; returns an error string for an unreadable time bound.
 * @example parseDiffFilter({ route: 'checkout', since: '1h' }, Date.now())
 */
export function parseDiffFilter(
  params: Readonly<Record<string, string | undefined>>,
  now: number,
): { ok: true; filter: DiffFilter } | { ok: false; error: string } {
  const filter: { -readonly [K in keyof DiffFilter]: DiffFilter[K] } = {};
  if (params.route) filter.route = params.route;
  if (params.shadow) filter.shadow = params.shadow;
  if (params.endpoint) filter.endpoint = params.endpoint;
  for (const bound of ['since', 'until'] as const) {
    const text = params[bound];
    if (!text) continue;
    const t = parseTimeBound(text, now);
    if (t === undefined) return { ok: false, error: `invalid ${bound} "${text}" (use an age like 1h or 30m, an ISO date, or epoch ms)` };
    filter[bound] = t;
  }
  return { ok: true, filter };
}

/**
 * A report page from `offset`, `limit` and `fields` parameters (whole numbers; the report clamps
 * them to its ceilings); an error string for anything else.
 * @example parseReportPage({ offset: '50', limit: '50' }) // { ok: true, page: { offset: 50, limit: 50 } }
 */
export function parseReportPage(
  params: Readonly<Record<string, string | undefined>>,
): { ok: true; page: ReportPage } | { ok: false; error: string } {
  const page: { -readonly [K in keyof ReportPage]: ReportPage[K] } = {};
  for (const name of ['offset', 'limit', 'fields'] as const) {
    const text = params[name];
    if (text === undefined || text === '') continue;
    if (!/^\d{1,9}$/.test(text.trim())) return { ok: false, error: `invalid ${name} "${text}" (a whole number ≥ 0)` };
    page[name] = Number(text.trim());
  }
  return { ok: true, page };
}
