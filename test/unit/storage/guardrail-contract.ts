// The shared GuardrailStore suite: every backend (SQLite in-process and in its worker, PostgreSQL) must pass it unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS, emptyHistogram, observe } from '../../../src/stats/histogram.js';
import type { DecisionRecord, GuardrailStore, MinuteRow } from '../../../src/storage/guardrail-types.js';

/** A latency histogram holding `ms`. */
export function hist(...ms: number[]): number[] {
  const h = emptyHistogram(LATENCY_BOUNDS);
  for (const v of ms) observe(h, LATENCY_BOUNDS, v);
  return h;
}

/** A decision at `at`. */
export function decision(at: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    at,
    route: 'checkout',
    arm: 'variant',
    action: 'step',
    fromPercent: 1,
    toPercent: 5,
    rule: 'pass-slow',
    reason: 'ok',
    evidence: { ucb: 1.1 },
    ...over,
  };
}

const minute = (m: number, over: Partial<MinuteRow> = {}): MinuteRow => ({
  minute: m * 60_000,
  route: 'checkout',
  arm: 'variant',
  requests: 10,
  bad: 1,
  slow: 0,
  latency: hist(5),
  ...over,
});

/** The store and what closes it (a backend may share one connection between repositories). */
export interface OpenedGuardrailStore {
  readonly store: GuardrailStore;
  close(): Promise<void>;
}

/**
 * Registers the GuardrailStore contract for one backend. `open` must return a new, empty store on every call.
 * @example runGuardrailContract('sqlite', async () => { const s = openSqliteStores(':memory:'); return { store: s.guardrails, close: s.close } })
 */
export function runGuardrailContract(name: string, open: () => Promise<OpenedGuardrailStore>): void {
  describe(`GuardrailStore contract: ${name}`, () => {
    const opened: OpenedGuardrailStore[] = [];
    const fresh = async () => {
      const o = await open();
      opened.push(o);
      return o.store;
    };
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.close();
    });

    it('starts empty', async () => {
      const s = await fresh();
      expect(await s.loadStates()).toEqual(new Map());
      expect(await s.decisions({})).toEqual([]);
      expect(await s.minutes({})).toEqual([]);
      expect(await s.prune(Number.MAX_SAFE_INTEGER)).toBe(0);
    });

    it('keeps the last state per route, JSON round-tripped, and deletes one route', async () => {
      const s = await fresh();
      await s.saveState('checkout', { phase: 'rolled-back', stepIndex: 2 }, 1000);
      await s.saveState('checkout', { phase: 'rolled-back', stepIndex: 3, nested: { a: [1, null, 'x'] } }, 2000);
      await s.saveState('search', { phase: 'idle' }, 1500);
      expect(await s.loadStates()).toEqual(
        new Map<string, unknown>([
          ['checkout', { phase: 'rolled-back', stepIndex: 3, nested: { a: [1, null, 'x'] } }],
          ['search', { phase: 'idle' }],
        ]),
      );
      await s.deleteState('search');
      await s.deleteState('never-saved');
      expect([...(await s.loadStates()).keys()]).toEqual(['checkout']);
    });

    it('lists decisions newest first, filtered by route and since, limited; actor and evidence round-trip', async () => {
      const s = await fresh();
      await s.appendDecision(decision(1000));
      await s.appendDecision(decision(2000, { action: 'rollback', toPercent: 0, evidence: { e: 150 }, actor: 'ana' }));
      await s.appendDecision(decision(2000, { route: 'search', action: 'hold' }));
      await s.appendDecision(decision(3000, { route: 'search', action: 'promote', evidence: null }));
      expect((await s.decisions({})).map((d) => [d.at, d.action])).toEqual([
        [3000, 'promote'],
        [2000, 'hold'],
        [2000, 'rollback'],
        [1000, 'step'],
      ]);
      const [rollback] = await s.decisions({ route: 'checkout', limit: 1 });
      expect(rollback).toEqual(decision(2000, { action: 'rollback', toPercent: 0, evidence: { e: 150 }, actor: 'ana' }));
      expect((await s.decisions({ route: 'checkout' }))[1]).not.toHaveProperty('actor');
      expect((await s.decisions({ since: 2000 })).map((d) => d.at)).toEqual([3000, 2000, 2000]);
      expect((await s.decisions({ limit: 2 })).length).toBe(2);
      expect((await s.decisions({ route: 'search', limit: 1 }))[0]!.evidence).toBeNull();
    });

    it('adds minute rows of the same key (histograms element-wise) and filters by route, arm and bounds', async () => {
      const s = await fresh();
      await s.writeMinutes([minute(1), minute(2), minute(1, { arm: 'control', requests: 90, bad: 0 })]);
      await s.writeMinutes([minute(1, { requests: 5, bad: 2, slow: 1, latency: hist(900, 7) }), minute(1, { route: 'search' })]);
      const rows = await s.minutes({ route: 'checkout', arm: 'variant' });
      expect(rows.map((r) => [r.minute, r.requests, r.bad, r.slow])).toEqual([
        [60_000, 15, 3, 1],
        [120_000, 10, 1, 0],
      ]);
      expect(rows[0]!.latency).toEqual(hist(5, 900, 7));
      expect((await s.minutes({})).map((r) => [r.minute, r.route, r.arm])).toEqual([
        [60_000, 'checkout', 'control'],
        [60_000, 'checkout', 'variant'],
        [60_000, 'search', 'variant'],
        [120_000, 'checkout', 'variant'],
      ]);
      expect((await s.minutes({ since: 120_000 })).length).toBe(1);
      expect((await s.minutes({ until: 60_000 })).length).toBe(3);
      expect((await s.minutes({ arm: 'control' })).map((r) => r.requests)).toEqual([90]);
    });

    it('claims route seeds: the first stored seed wins, later proposals get it back, prune keeps them', async () => {
      const s = await fresh();
      expect(await s.claimSeeds({ checkout: 'aaa', search: 'bbb' }, 1000)).toEqual({ checkout: 'aaa', search: 'bbb' });
      // A second replica (or a restart) proposing other seeds gets the stored ones.
      expect(await s.claimSeeds({ checkout: 'zzz', cart: 'ccc' }, 2000)).toEqual({ checkout: 'aaa', cart: 'ccc' });
      expect(await s.claimSeeds({}, 3000)).toEqual({});
      await s.prune(Number.MAX_SAFE_INTEGER);
      expect(await s.claimSeeds({ search: 'yyy' }, 4000)).toEqual({ search: 'bbb' });
    });

    it('prunes minutes and decisions older than the cutoff (not states) and says how many went', async () => {
      const s = await fresh();
      await s.saveState('checkout', { phase: 'idle' }, 0);
      await s.writeMinutes([minute(1), minute(2)]);
      await s.appendDecision(decision(60_000));
      await s.appendDecision(decision(130_000));
      expect(await s.prune(120_000)).toBe(2);
      expect((await s.minutes({})).map((r) => r.minute)).toEqual([120_000]);
      expect((await s.decisions({})).map((d) => d.at)).toEqual([130_000]);
      expect((await s.loadStates()).size).toBe(1);
    });
  });
}
