/**
 * Units pinned to the arm they first got, for routes whose weights a bandit moves: a bounded map
 * (insertion order = age; the oldest is forgotten first) consulted before the bucket ranges, so a
 * unit keeps its arm however the weights move. A forgotten unit (beyond `max`, or after a restart
 * before the map is refilled from the store) falls back to its bucket under the current weights:
 * the same arm unless its bucket changed hands since.
 */

/** The map; one per bandit route, kept across reloads. */
export interface UnitPins {
  /** The unit's arm index, or undefined. */
  get(unit: string): number | undefined;
  /** Remembers a unit's arm (no-op when known). */
  pin(unit: string, arm: number): void;
  readonly size: number;
  /** Units forgotten to stay within `max`. */
  readonly evicted: number;
}

/**
 * Creates a map holding at most `max` units.
 * @example const pins = createUnitPins(100_000); pins.pin('u1', 1); pins.get('u1') // 1
 */
export function createUnitPins(max: number): UnitPins {
  const map = new Map<string, number>();
  let evicted = 0;
  return {
    get: (unit) => map.get(unit),
    pin(unit, arm) {
      if (map.has(unit)) return;
      if (map.size >= max) {
        // Map iterates in insertion order: the first key is the oldest pin.
        map.delete(map.keys().next().value!);
        evicted++;
      }
      map.set(unit, arm);
    },
    get size() {
      return map.size;
    },
    get evicted() {
      return evicted;
    },
  };
}
