// The sick-canary ramp's acceptance scenario, shared by the single-process, workers and fleet tests:
// a `shop` route ramping delays 100 → 250 → 500 → 1000 ms on a 30% slice whose clients give up
// (after 450 ms; 400 ms in one process) and then never buy (so 500 ms harms, 250 ms is the last safe
// level), and, for the group and fleet, a `boom` route whose ramp aborts its whole slice and stays at
// its first step (for restart checks).
import { type Agent, request } from 'undici';
import { expect } from 'vitest';
import { compileRamp, inRampSlice } from '../../src/faults/ramp-spec.js';

// 450, not the single-process test's 400: a group or fleet adds hops, and on a loaded 2-core box a
// 250 ms answer plus those must still come in time (500 ms is always past it, so harm stays certain).
export const GIVE_UP_MS = 450;

/**
 * The `shop` ramp route and the `pay` route its goal counts on, as items of `routes:`.
 * @example `upstreams: { shop: ${shop.url}, pay: ${pay.url} }\nroutes:\n${SHOP_RAMP_ROUTES}`
 */
export const SHOP_RAMP_ROUTES = `  - name: shop
    match: { path: /shop/* }
    arms: { control: shop }
    sticky: [header:x-user-id]
    seed: ramp-acceptance
    experiment:
      goals: [{ name: buy, kind: conversion, route: pay, match: { method: POST, path: /pay } }]
    fault:
      # maxDrop: a busy host may slow a few 250 ms answers past the give-up time; only a proven 20% drop is harm.
      ramp: { delays: [100ms, 250ms, 500ms, 1s], percent: 30, dwell: 2s, minUnits: 40, goal: buy, maxDrop: 20% }
  - name: pay
    match: { path: /pay }
    arms: { control: pay }
`;

/** The config: `store` and `extra` (e.g. `fleet: …`) around the two ramp routes and `pay`. */
export function rampYaml(o: { listen: number; admin: number; store: string; shop: string; pay: string; extra?: string }): string {
  return `listen: 127.0.0.1:${o.listen}
admin: { listen: 127.0.0.1:${o.admin} }
store: ${o.store}
${o.extra ?? ''}
upstreams: { shop: ${o.shop}, pay: ${o.pay} }
routes:
${SHOP_RAMP_ROUTES}  # A ramp that stays at its first step (aborts every request of its slice): for the restart check.
  - name: boom
    match: { path: /boom/* }
    arms: { control: shop }
    sticky: [header:x-user-id]
    seed: ramp-restart
    fault:
      ramp: { aborts: [100%], percent: 30, dwell: 10m, minUnits: 100000 }
`;
}

/**
 * 12 clients visiting `/shop/item` (unit i on `urls[i % n]`) and, 4 in 5 of those answered within
 * `giveUpMs`, buying on `urls[(i + 1) % n]` (the same process when there is one URL). `stop` ends the loop.
 */
export function startRampLoad(urls: readonly string[], agent: Agent, giveUpMs = GIVE_UP_MS): { stop(): Promise<void> } {
  let stopped = false;
  let n = 0;
  const visit = async () => {
    const i = n++;
    const user = `u${i}`;
    try {
      const res = await request(`${urls[i % urls.length]}/shop/item`, {
        headers: { 'x-user-id': user },
        dispatcher: agent,
        signal: AbortSignal.timeout(giveUpMs),
      });
      await res.body.text();
    } catch {
      return; // gave up: this unit never buys
    }
    if (i % 5 === 0) return;
    const p = await request(`${urls[(i + 1) % urls.length]}/pay`, { method: 'POST', headers: { 'x-user-id': user }, dispatcher: agent });
    await p.body.text();
  };
  const load = Promise.all(
    Array.from({ length: 12 }, async () => {
      while (!stopped) await visit();
    }),
  );
  return {
    async stop() {
      stopped = true;
      await load;
    },
  };
}

// The two ramps as compiled from the YAML above (the schema's defaults spelled out), with their seeds.
const DEFAULTS = { status: 503, vitals: true, tolerance: 1.5, alpha: 0.05, run: '1' };
const SLICES = {
  shop: {
    seed: 'ramp-acceptance',
    ramp: compileRamp({ ...DEFAULTS, delays: [100, 250, 500, 1000], percent: 30, dwell: 2000, minUnits: 40, goal: 'buy', maxDrop: 20 }),
  },
  boom: {
    seed: 'ramp-restart',
    ramp: compileRamp({ ...DEFAULTS, aborts: [100], percent: 30, dwell: 600_000, minUnits: 100_000, maxDrop: 0 }),
  },
};

/**
 * The users of `candidates` inside `route`'s ramp slice.
 * @example sliceUsers('shop', ['a', 'b', 'c']) // those the shop ramp would delay
 */
export function sliceUsers(route: keyof typeof SLICES, candidates: readonly string[]): string[] {
  const { ramp, seed } = SLICES[route];
  return candidates.filter((u) => inRampSlice(ramp, seed, u));
}

/** `count` units inside the `boom` route's slice. */
export function boomSliceUsers(count: number): string[] {
  const candidates = Array.from({ length: 200 }, (_, i) => `boom-${i}`);
  return sliceUsers('boom', candidates).slice(0, count);
}

/**
 * The breaking point on `done` (`GET /status` `ramps[0]`): stopped at 500 ms, 250 ms last safe, the
 * harm proven on enough units and with injected failures.
 */
export function expectVerdict(done: any): void {
  expect(done).toMatchObject({ route: 'shop', kind: 'delay', end: 'harm', level: null });
  expect(done.lastSafe).toMatchObject({ level: 250, verdict: 'safe' });
  expect(done.firstHarmful).toMatchObject({ level: 500, verdict: 'harm' });
  expect(done.steps.map((s: { level: number }) => s.level)).toEqual([100, 250, 500]);
  expect(done.firstHarmful.judgement.goal.slice.units).toBeGreaterThanOrEqual(30);
  expect(done.firstHarmful.judgement.goal.interval[1]).toBeLessThan(0);
  expect(done.firstHarmful.judgement.injectedFailures).toBeGreaterThan(0);
}

/** The group and fleet acceptance verdict: `expectVerdict`, on more than 100 of the route's requests. */
export function expectBreakingPoint(done: any): void {
  expectVerdict(done);
  expect(done.routeRequests).toBeGreaterThan(100);
}
