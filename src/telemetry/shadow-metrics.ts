/**
 * Scrape-time families of the shadow path, per route and shadow (config names, so the series are
 * bounded): the dispatcher's lanes (`fieldlab_mirror_*`, with kind shadow|noise), pairs compared and
 * pairs that differ (in any part, and per part), and skips by reason. Every declared shadow has its
 * series from the start (zeros), so `rate()` and ratios work before the first copy and a renamed
 * metric fails the monitoring test instead of silently matching nothing.
 */
import { DIFF_PARTS, type PairCounts } from '../compare/pair-counts.js';
import type { LaneStats } from '../mirror/dispatcher.js';
import { SKIP_REASON_REGISTRY, type SkipReasonCode } from '../mirror/skip-reasons.js';
import type { CompiledRoute } from '../routing/route.js';
import type { MetricFamily, Sample } from './prom-text.js';

/** Where the shadow state comes from. */
export interface ShadowSources {
  /** The dispatcher's lanes (`dispatcher.lanes`). */
  readonly lanes: () => readonly LaneStats[];
  /** The compare pipeline's per-shadow counts (`pipeline.pairCounts`). */
  readonly pairs: () => readonly PairCounts[];
  /** The live routes: their declared shadows get zero series. */
  readonly routes?: () => readonly CompiledRoute[];
}

type Counts = Omit<LaneStats, 'route' | 'shadow' | 'kind'>;

/** Lane families: [name, type, help, field]. */
const LANE_FAMILIES: readonly (readonly [string, 'gauge' | 'counter', string, keyof Counts])[] = [
  ['fieldlab_mirror_in_flight', 'gauge', 'Shadow copies being sent now', 'inFlight'],
  ['fieldlab_mirror_queued', 'gauge', 'Shadow copies waiting for a concurrency slot', 'queued'],
  ['fieldlab_mirror_sent_total', 'counter', 'Shadow copies dispatched', 'sent'],
  ['fieldlab_mirror_completed_total', 'counter', 'Shadow copies that got a response', 'completed'],
  ['fieldlab_mirror_failed_total', 'counter', 'Shadow copies that failed (connect, timeout, reset)', 'failed'],
  ['fieldlab_mirror_dropped_total', 'counter', 'Shadow copies dropped because the shadow was saturated', 'dropped'],
  ['fieldlab_mirror_truncated_total', 'counter', 'Shadow exchanges aborted once the compare cap was read', 'truncated'],
  ['fieldlab_mirror_over_budget_total', 'counter', "Shadow copies not started or cut by the shadow's byte budget", 'overBudget'],
  ['fieldlab_mirror_expired_total', 'counter', 'Queued shadow copies dropped after waiting past their timeout', 'expired'],
];

const ZERO: Counts = { inFlight: 0, queued: 0, sent: 0, completed: 0, failed: 0, dropped: 0, truncated: 0, overBudget: 0, expired: 0 };
const REASONS = Object.keys(SKIP_REASON_REGISTRY) as SkipReasonCode[];

/**
 * The families.
 * @example shadowFamilies({ lanes: dispatcher.lanes, pairs: pipeline.pairCounts, routes: () => config.current().routes })
 */
export function shadowFamilies(src: ShadowSources): MetricFamily[] {
  const lanes = new Map<string, LaneStats>();
  const pairs = new Map<string, Pick<PairCounts, 'route' | 'shadow'> & Partial<PairCounts>>();
  for (const r of src.routes?.() ?? []) {
    for (const s of r.shadows) {
      lanes.set(`${r.name}\0${s.name}\0shadow`, { route: r.name, shadow: s.name, kind: 'shadow', ...ZERO });
      if (s.noise) lanes.set(`${r.name}\0${s.name}\0noise`, { route: r.name, shadow: s.name, kind: 'noise', ...ZERO });
      pairs.set(`${r.name}\0${s.name}`, { route: r.name, shadow: s.name });
    }
  }
  for (const l of src.lanes()) lanes.set(`${l.route}\0${l.shadow}\0${l.kind}`, l);
  for (const p of src.pairs()) pairs.set(`${p.route}\0${p.shadow}`, p);

  const out: MetricFamily[] = LANE_FAMILIES.map(([name, type, help, field]) => ({
    name,
    help: `${help}, by route, shadow and kind (shadow, or noise: the second copy of control)`,
    type,
    samples: [...lanes.values()].map((l) => ({ labels: { route: l.route, shadow: l.shadow, kind: l.kind }, value: l[field] })),
  }));
  const compared: Sample[] = [];
  const differing: Sample[] = [];
  const parts: Sample[] = [];
  const skips: Sample[] = [];
  for (const p of pairs.values()) {
    const l = { route: p.route, shadow: p.shadow };
    compared.push({ labels: l, value: p.pairs ?? 0 });
    differing.push({ labels: l, value: p.differing ?? 0 });
    for (const part of DIFF_PARTS) parts.push({ labels: { ...l, part }, value: p.parts?.[part] ?? 0 });
    for (const reason of REASONS) skips.push({ labels: { ...l, reason }, value: p.skips?.[reason] ?? 0 });
  }
  out.push(
    { name: 'fieldlab_shadow_pairs_total', help: 'Shadow pairs compared', type: 'counter', samples: compared },
    {
      name: 'fieldlab_shadow_pairs_differing_total',
      help: 'Shadow pairs with at least one difference (after the configured ignores; learned noise included)',
      type: 'counter',
      samples: differing,
    },
    {
      name: 'fieldlab_shadow_differences_total',
      help: 'Shadow pairs with a difference in this part (status, headers, body, error)',
      type: 'counter',
      samples: parts,
    },
    {
      name: 'fieldlab_shadow_skips_total',
      help: 'Mirrored requests not sent or not paired, and pairs whose body was not compared, by skip reason',
      type: 'counter',
      samples: skips,
    },
  );
  return out;
}
