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

/** Units seen in the same arms under the same weights (one group per distinct combination). */
export interface ExposureSet {
  /** [arm, weights] per arm the units were seen in, sorted by arm. */
  readonly exposures: readonly (readonly [arm: string, weights: string])[];
  readonly units: number;
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
  /**
   * Units grouped by every arm (with the weights of its first exposure there) they were seen in: the
   * leak check (experiments/leaks.ts) asks of each group whether one bucket explains all its arms.
   */
  readonly exposureSets: readonly ExposureSet[];
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
  /** One page of per-unit data for the export, units in key order after `q.after`. */
  exportUnits(q: UnitPageQuery): Promise<UnitPage>;
  /** One page of per-minute data for the export, minutes after `q.after`. */
  exportMinutes(q: MinutePageQuery): Promise<MinutePage>;
}

/**
 * A page of units: keyset-paged on the unit key (never OFFSET), so every page costs an index range
 * whatever its position, and the caller holds one page at a time however large the experiment is.
 */
export interface UnitPageQuery {
  readonly route: string;
  /** Goal names to sum per unit (the experiment's goals and the $-vital signs). */
  readonly goals: readonly string[];
  /** Goal events count within this time after the unit's first exposure ($-goals: always). */
  readonly windowMs: number;
  /** Units with a key after this one ('' for the first page). */
  readonly after: string;
  /** Only units first exposed at or after this epoch ms. */
  readonly since: number;
  /** Unit keys scanned at most (the page may hold fewer: `since` filters after the scan). */
  readonly limit: number;
}

/** One unit of the export: its first exposure, and in how many arms it was seen (> 1: it moved — a leak unless its weights explain it). */
export interface UnitRow {
  readonly unit: string;
  readonly arm: string;
  readonly firstAt: number;
  readonly weights: string;
  readonly arms: number;
}

/** A page of units and their goal sums; `next` is the cursor of the following page (undefined: last page). */
export interface UnitPage {
  readonly units: readonly UnitRow[];
  readonly goals: readonly { readonly unit: string; readonly goal: string; readonly count: number; readonly value: number }[];
  readonly next: string | undefined;
}

/** A page of minutes. */
export interface MinutePageQuery {
  readonly route: string;
  /** Minutes after this epoch ms (−1 for the first page). */
  readonly after: number;
  /** Only minutes at or after this epoch ms. */
  readonly since: number;
  /** Distinct minutes per page at most. */
  readonly limit: number;
}

/**
 * Per minute, arm and goal: distinct units, events and value sum. The arm is the unit's first
 * exposure's ('' for goal requests without a key or from units never exposed); goal `$exposures`
 * counts the units first exposed to that arm in that minute.
 */
export interface GoalMinuteRow {
  readonly minute: number;
  readonly arm: string;
  readonly goal: string;
  readonly units: number;
  readonly count: number;
  readonly value: number;
}

/** A page of minute rows, ordered by minute, arm, goal; `next`: the following page's cursor. */
export interface MinutePage {
  readonly rows: readonly GoalMinuteRow[];
  readonly next: number | undefined;
}
