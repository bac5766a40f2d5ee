/**
 * A minimal bounded LRU on a Map: Map iteration order is insertion order, so re-inserting on
 * access moves a key to the back and the first key is always the least recently used. O(1) get
 * and set, no dependency (lru-cache isn't installed and this needs four methods).
 */

/** A bounded least-recently-used map. */
export interface Lru<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): boolean;
  readonly size: number;
}

/**
 * Creates an LRU holding at most `max` entries (at least 1).
 * @example const c = createLru<string, number>(2); c.set('a', 1); c.set('b', 2); c.get('a'); c.set('c', 3) // evicts 'b'
 */
export function createLru<K, V>(max: number): Lru<K, V> {
  const cap = Math.max(1, Math.floor(max));
  const map = new Map<K, V>();
  return {
    get(key) {
      const v = map.get(key);
      if (v === undefined) return undefined;
      map.delete(key);
      map.set(key, v);
      return v;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > cap) map.delete(map.keys().next().value as K);
    },
    delete: (key) => map.delete(key),
    get size() {
      return map.size;
    },
  };
}
