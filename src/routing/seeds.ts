/**
 * Route hash seeds. The bucket formula is public (routing/hash.ts), so a seed anyone can guess (the
 * route name, as before) lets a client pick sticky keys that land in the variant. A route without an
 * explicit `seed:` therefore gets a random 128-bit seed, generated once and kept in the store: it
 * survives restarts, and every replica sharing the store uses the same one (the store inserts it only
 * if absent, so replicas starting together agree). Seeds are loaded before the proxy listens and
 * before a reload that adds a route is swapped in, so no request ever sees a seed that changes later.
 */
import { randomBytes } from 'node:crypto';
import type { GuardrailStore } from '../storage/guardrail-types.js';

/** The seeds of every route the running config knows. */
export interface SeedBook {
  /** The seed of a route: its `seed:` when set, else the stored random one (route name if never loaded). */
  seedOf(route: { readonly name: string; readonly seed?: string | undefined }): string;
  /** Loads (claiming new ones in the store) the seeds of the routes without `seed:`; rejects if the store fails. */
  load(routes: readonly { readonly name: string; readonly seed?: string | undefined }[]): Promise<void>;
}

/**
 * Creates a seed book over the store's `claimSeeds`.
 * @example const seeds = createSeedBook(stores.guardrails); await seeds.load(cfg.routes); seeds.seedOf(route)
 */
export function createSeedBook(store: Pick<GuardrailStore, 'claimSeeds'>): SeedBook {
  const known = new Map<string, string>();
  return {
    seedOf: (route) => route.seed ?? known.get(route.name) ?? route.name,
    async load(routes) {
      const proposals: Record<string, string> = {};
      for (const r of routes) if (r.seed === undefined && !known.has(r.name)) proposals[r.name] = randomBytes(16).toString('hex');
      if (Object.keys(proposals).length === 0) return;
      const stored = await store.claimSeeds(proposals, Date.now());
      for (const [route, seed] of Object.entries(stored)) known.set(route, seed);
    },
  };
}
