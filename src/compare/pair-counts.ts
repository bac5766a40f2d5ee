/**
 * Per route and shadow: pairs compared, pairs that differ (in any part, and per part) and skips by
 * reason — what a diff-rate or a skip-rate alert needs. Counted by the compare pipeline, read by
 * metrics at scrape time. Route and shadow names come from the config, so the number of cells is
 * bounded; a lookup is two map reads and no string building, and a cell's counts are plain fields.
 */
import type { SkipReasonCode } from '../mirror/skip-reasons.js';
import type { FieldDiff } from './types.js';

/** The parts of a response a difference can be in (a field's prefix: `status`, `header:`, `body:`, `error`). */
export const DIFF_PARTS = ['status', 'headers', 'body', 'error'] as const;

/** One part. */
export type DiffPart = (typeof DIFF_PARTS)[number];

/** The counts of one route and shadow. */
export interface PairCounts {
  readonly route: string;
  readonly shadow: string;
  /** Pairs compared (shadow pairs only; noise pairs are not candidates). */
  pairs: number;
  /** Pairs with at least one differing field. */
  differing: number;
  /** Pairs with a difference in each part. */
  readonly parts: Record<DiffPart, number>;
  /** Skips by reason (mirror and compare stage). */
  readonly skips: Partial<Record<SkipReasonCode, number>>;
}

/** Every route and shadow's counts. */
export interface PairCounter {
  /** The cell for a route and shadow, created on first use. */
  of(route: string, shadow: string): PairCounts;
  /** Counts a compared pair and the parts its differing fields are in. */
  pair(route: string, shadow: string, fields: readonly FieldDiff[]): void;
  skip(route: string, shadow: string, reason: SkipReasonCode): void;
  all(): PairCounts[];
}

/** Most route/shadow cells kept; past it, counts go to one `other`/`other` cell (a config churning names). */
const MAX_CELLS = 2000;

/**
 * The part a field is in.
 * @example partOf('header:etag') // 'headers'
 */
export function partOf(field: string): DiffPart {
  if (field.startsWith('body:')) return 'body';
  if (field.startsWith('header:')) return 'headers';
  return field === 'status' ? 'status' : 'error';
}

/**
 * Creates an empty counter.
 * @example const c = createPairCounter(); c.pair('checkout', 'v2', diff.fields); c.all()[0].differing
 */
export function createPairCounter(): PairCounter {
  const routes = new Map<string, Map<string, PairCounts>>();
  let cells = 0;
  const of = (route: string, shadow: string): PairCounts => {
    let shadows = routes.get(route);
    let cell = shadows?.get(shadow);
    if (cell) return cell;
    if (cells >= MAX_CELLS && !(route === 'other' && shadow === 'other')) return of('other', 'other');
    if (!shadows) routes.set(route, (shadows = new Map()));
    cell = { route, shadow, pairs: 0, differing: 0, parts: { status: 0, headers: 0, body: 0, error: 0 }, skips: {} };
    shadows.set(shadow, cell);
    cells++;
    return cell;
  };
  return {
    of,
    pair(route, shadow, fields) {
      const c = of(route, shadow);
      c.pairs++;
      if (fields.length === 0) return;
      c.differing++;
      // A pair counts once per part however many of its fields differ there.
      let seen = 0;
      for (const f of fields) {
        const part = partOf(f.field);
        const bit = 1 << DIFF_PARTS.indexOf(part);
        if (seen & bit) continue;
        seen |= bit;
        c.parts[part]++;
      }
    },
    skip(route, shadow, reason) {
      const s = of(route, shadow).skips;
      s[reason] = (s[reason] ?? 0) + 1;
    },
    all: () => [...routes.values()].flatMap((m) => [...m.values()]),
  };
}
