/**
 * Per-key cap on bad events: one sticky key (a user, a client) contributes at most `cap` bad events
 * per calendar minute to the evidence. Errors cluster by user — one broken client retrying in a loop
 * would otherwise look like a broken variant — and the sequential test assumes independent events.
 * Keys are hashed (FNV-1a, 32 bits) so no user identifier is kept or persisted; a rare collision only
 * makes two keys share a cap.
 */
import type { KeyCapSnapshot } from './types.js';

/** Keys tracked per minute; beyond this new keys go uncapped rather than growing memory without bound. */
const MAX_KEYS = 50_000;

/** The cap. */
export interface KeyCap {
  /** Counts one bad event of the key hashed to `hash` (keyHash) at `at` (epoch ms); false when over its cap. */
  admit(hash: number, at: number): boolean;
  snapshot(): KeyCapSnapshot;
}

/**
 * Creates a cap of `cap` bad events per key per minute.
 * @example
 * const caps = createKeyCap(5);
 * caps.admit(keyHash('user-1'), now) // true for the first five this minute, then false
 */
export function createKeyCap(cap: number, restored?: KeyCapSnapshot): KeyCap {
  let minute = restored?.minute ?? -1;
  const counts = new Map<number, number>(restored?.counts ?? []);
  return {
    admit(h, at) {
      const m = Math.floor(at / 60_000);
      if (m > minute) {
        minute = m;
        counts.clear();
      }
      const n = counts.get(h);
      if (n === undefined) {
        if (counts.size < MAX_KEYS) counts.set(h, 1);
        return true;
      }
      if (n >= cap) return false;
      counts.set(h, n + 1);
      return true;
    },
    snapshot() {
      return { minute, counts: [...counts] };
    },
  };
}

/**
 * FNV-1a over UTF-16 code units; cheap and good enough to spread keys.
 * @example keyHash('user-1') // a 32-bit unsigned integer
 */
export function keyHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
