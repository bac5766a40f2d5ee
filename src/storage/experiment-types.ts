/**
 * Storage for experiments: each unit's first exposure per arm (with the weights live then, for the
 * sample-ratio test) and goal events summed per unit and minute. Analysis reads sufficient
 * statistics back (per goal and arm: units, Σy, Σy²), computed where the data is — in the SQLite
 * worker or in PostgreSQL — so a million units never cross into the proxy's thread. Shared by every
 * replica when the store is PostgreSQL, so results are fleet-wide.
 */

/** One unit seen in one arm; the store keeps the earliest `at` (and its weights) per unit × arm. */
export interface ExposureRow {
  readonly route: string;
  readonly unit: string;
  readonly arm: string;
  /** Epoch ms of the exposure. */
  readonly at: number;
  /** Percent of every arm, control first, comma-separated ("90,10"): the SRM test's phase. */
  readonly weights: string;
}

/**
 * Goal requests of one unit in one minute, attributed to an experiment route's goal. `unit` is ''
 * for goal requests without the experiment's sticky key. Built-in vital signs use goal names
 * starting with `$` ($requests, $errors, $latency with value = ms).
 */
export interface GoalEventRow {
  readonly route: string;
  readonly goal: string;
  readonly unit: string;
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly count: number;
  readonly value: number;
}

/** One flush of the recorder. */
export interface ExperimentBatch {
  readonly exposures: readonly ExposureRow[];
  readonly events: readonly GoalEventRow[];
}

/** Per goal and arm, over units whose first exposure was in that arm and with an event in window. */
export interface GoalArmSums {
  readonly goal: string;
  readonly arm: string;
  /** Units with at least one event (the rest of the arm's units have y = 0). */
  readonly units: number;
  readonly count: number;
  readonly countSq: number;
  readonly value: number;
  readonly valueSq: number;
}

/** Everything analysis needs for one experiment route. */
export interface ExperimentSums {
  /** Earliest first exposure, epoch ms (undefined before any). */
  readonly startedAt: number | undefined;
  /** Units by the arm and weights of their first exposure. */
  readonly arms: readonly { readonly arm: string; readonly weights: string; readonly units: number }[];
  /** Units exposed in more than one arm. */
  readonly leaked: number;
  readonly goals: readonly GoalArmSums[];
  /** Goal requests (not vital signs): all, without a sticky key, from units never exposed. */
  readonly goalRequests: { readonly total: number; readonly withoutKey: number; readonly unexposed: number };
}

/**
 * The experiments repository; asynchronous, backend-neutral, called from the recorder's timer and
 * admin requests only. Every backend passes test/unit/storage/experiment-contract.ts.
 * @example
 * await store.writeExperiments({ exposures: [{ route: 'product', unit: 'u1', arm: 'control', at, weights: '50,50' }], events: [] });
 * const sums = await store.experimentSums('product', 72 * 3_600_000);
 */
export interface ExperimentStore {
  /** Applies a batch atomically: exposures keep the earliest time, events add up. */
  writeExperiments(batch: ExperimentBatch): Promise<void>;
  /** Sufficient statistics of `route`'s experiment; goal events count within `windowMs` of first exposure. */
  experimentSums(route: string, windowMs: number): Promise<ExperimentSums>;
  /** Deletes exposures and events older than `before`; resolves to rows deleted. */
  pruneExperiments(before: number): Promise<number>;
}
