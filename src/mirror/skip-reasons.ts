/**
 * The one skip-reason registry. A skip says why a mirrored request was not sent or paired (`mirror`
 * stage: nothing was compared) or why part of a pair was not compared (`compare` stage: status and
 * headers were, the body was not). Reports count them so "no differences" is never confused with
 * "not compared"; the types, the diff report and README's "Skip reasons" table all come from here
 * (a test keeps the README in sync).
 */

/** One registered skip reason. */
export interface SkipReasonDef {
  /** `mirror`: the copy was not sent or not paired. `compare`: the pair's body was not compared. */
  readonly stage: 'mirror' | 'compare';
  readonly description: string;
}

/** Every skip reason, in report order. */
export const SKIP_REASON_REGISTRY = {
  method: { stage: 'mirror', description: 'method not mirrored (writes are only mirrored when the shadow lists them)' },
  body_too_large: { stage: 'mirror', description: 'request body above the shadow’s maxBody: not mirrored' },
  queue_full: { stage: 'mirror', description: 'shadow dispatcher queue full: not mirrored' },
  bandwidth: {
    stage: 'mirror',
    description: 'the shadow’s byte budget (maxBytesPerSecond) was empty: the copy wasn’t sent, or its download was cut',
  },
  queue_expired: {
    stage: 'mirror',
    description: 'the copy waited in the queue for more than half its timeout and was dropped instead of starting late',
  },
  client_aborted: { stage: 'mirror', description: 'client went away before its request or the primary response completed: not paired' },
  compare_dropped: { stage: 'mirror', description: 'compare queue full: pair dropped before diffing' },
  reload: { stage: 'mirror', description: 'a reload replaced the shadow’s pool while the copy waited in its queue: not mirrored' },
  'body-truncated': { stage: 'compare', description: 'response body above compare.maxBody: body not compared' },
  'body-undecodable': { stage: 'compare', description: 'content-encoding unsupported or corrupt: body not compared' },
  'decoded-too-large': { stage: 'compare', description: 'decoded (decompressed) body above compare.maxBody: body not compared' },
  'spans-missing': {
    stage: 'compare',
    description:
      'traced pair, but no spans arrived within traces.wait below the primary call or the shadow call (service not instrumented or exporting elsewhere): span trees not compared',
  },
  'spans-dropped': { stage: 'compare', description: 'too many traced pairs waiting for their spans: span trees not compared' },
  'internal-error': { stage: 'compare', description: 'comparator failed on this pair (a Fieldlab bug — please report)' },
} as const satisfies Record<string, SkipReasonDef>;

type Registry = typeof SKIP_REASON_REGISTRY;

/** Any registered skip reason. */
export type SkipReasonCode = keyof Registry;

/** Why a mirrored request was not sent or not paired. */
export type SkipReason = { [K in SkipReasonCode]: Registry[K]['stage'] extends 'mirror' ? K : never }[SkipReasonCode];

/** Why part of a pair (the body) was not compared. */
export type CompareSkip = { [K in SkipReasonCode]: Registry[K]['stage'] extends 'compare' ? K : never }[SkipReasonCode];

/**
 * The description of a stored reason ('' for one this version does not know, e.g. from older data).
 * @example describeSkip('queue_full') // 'shadow dispatcher queue full: not mirrored'
 */
export function describeSkip(reason: string): string {
  return Object.hasOwn(SKIP_REASON_REGISTRY, reason) ? SKIP_REASON_REGISTRY[reason as SkipReasonCode].description : '';
}

/**
 * Every reason with its description, in registry order (report legends, the README sync test).
 * @example allSkipReasons()[0] // { code: 'method', stage: 'mirror', description: '…' }
 */
export function allSkipReasons(): readonly ({ readonly code: SkipReasonCode } & SkipReasonDef)[] {
  return Object.entries(SKIP_REASON_REGISTRY).map(([code, def]) => ({ code: code as SkipReasonCode, ...def }));
}
