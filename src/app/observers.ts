/** Who sees each exchange, in order: an embedder's observers, then tracing and every stage that counts or decides. */
import { type ExchangeObserver, namedObserver } from '../telemetry/hooks.js';
import type { Tracing } from '../telemetry/tracing.js';
import { type ArmProfiles, profileObserver } from '../traces/arm-profiles.js';

interface Observing {
  readonly observer: ExchangeObserver;
}

/** The observers of a running app. */
export interface AppObserversDeps {
  /** AppOptions.observers: called before the built-in ones. */
  readonly extra: readonly ExchangeObserver[] | undefined;
  readonly tracing: Pick<Tracing, 'observer'> | undefined;
  /** Where sampled arm requests are noted for the arms' dependency profiles (the span join, or a worker's relay). */
  readonly profiles: Pick<ArmProfiles, 'note'> | undefined;
  /** The guardrails' evidence: the local runtime's observer, a fleet member's or a worker's collector. */
  readonly guardrails: ExchangeObserver;
  readonly experiments: Observing;
  readonly ramps: Observing;
  readonly rollup: Observing;
  readonly live: Observing;
  readonly exemplars: Observing;
  readonly metrics: Observing;
}

/**
 * The request handler's observer list, each named for failure reports (built once at startup).
 * @example const observers = appObservers({ extra: opts.observers, tracing, profiles, guardrails: guardrails.observer, ... })
 */
export function appObservers(deps: AppObserversDeps): readonly ExchangeObserver[] {
  const { tracing } = deps;
  return [
    ...(deps.extra ?? []),
    // With `traces:`, sampled arm requests are also noted for the arms' dependency profiles.
    ...(tracing ? [namedObserver('tracing', withProfiles(tracing.observer, deps.profiles))] : []),
    namedObserver('guardrails', deps.guardrails),
    namedObserver('experiments', deps.experiments.observer),
    namedObserver('ramps', deps.ramps.observer),
    namedObserver('rollups', deps.rollup.observer),
    namedObserver('live', deps.live.observer),
    namedObserver('exemplars', deps.exemplars.observer),
    namedObserver('metrics', deps.metrics.observer),
  ];
}

/** The tracing observer, noting sampled arm requests for the dependency profiles when traces are on. */
function withProfiles(observer: ExchangeObserver, profiles: Pick<ArmProfiles, 'note'> | undefined): ExchangeObserver {
  return profiles ? profileObserver(observer, profiles) : observer;
}
