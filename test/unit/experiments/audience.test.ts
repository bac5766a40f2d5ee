// Targeting, layers and holdbacks in the experiment's numbers. The recorder leaves requests outside
// the audience out (no exposure, no vital signs, no goal by a unit outside the layer), and the SRM
// test does not cry wolf: 100 simulated A/A experiments through the real assignment, with a third of
// requests targeted out, a 60% layer slice and a holdback phase (50% → 95% → released to 100%),
// raise no more alarms than α allows — while counting targeted-out requests as control exposures
// (what the recorder must not do) raises the alarm every time.
import { afterEach, describe, expect, it } from 'vitest';
import { goalTrafficCheck, srmCheck } from '../../../src/experiments/diagnostics.js';
import { createExperimentRecorder } from '../../../src/experiments/recorder.js';
import { experimentsOf } from '../../../src/experiments/spec.js';
import { assignArm } from '../../../src/routing/assignment.js';
import { inSlice } from '../../../src/routing/audience.js';
import type { ExposureRow } from '../../../src/storage/experiment-types.js';
import type { ExchangeTracker } from '../../../src/telemetry/hooks.js';
import { info, snapshotOf } from './fixtures.js';

const YAML = `
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:10" }
layers: [{ name: shop, salt: shop-layer }]
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: product-seed
    experiment:
      when: { header: { x-plan: [pro, team] } }
      layer: { name: shop, share: 60 }
      goals: [{ name: checkout, route: checkout, match: { method: POST, path: /api/checkout } }]
  - name: checkout
    match: { path: /api/* }
    arms: { control: a }
`;

const ok = { status: 200, code: undefined, bytes: 10, upstreamMs: 1 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup() {
  const { snap, close } = snapshotOf(YAML);
  const exposures: ExposureRow[] = [];
  const events: { unit: string; goal: string }[] = [];
  const rec = createExperimentRecorder({
    store: {
      writeExperiments: async (b) => {
        exposures.push(...b.exposures);
        events.push(...b.events);
      },
    },
    current: () => snap,
    flushMs: 60_000,
  });
  cleanups.push(async () => {
    await rec.stop();
    await close();
  });
  const route = snap.routes[0]!;
  /** One request on the product route, assigned for real, through the recorder. */
  const visit = (user: string, plan: string, at: number) => {
    const headers = { 'x-user': user, 'x-plan': plan };
    const a = assignArm(route, { headers, query: '', clientIp: '10.0.0.1' });
    const x = info(snap, 'product', {
      key: a.key,
      arm: route.arms[a.armIndex]!.name,
      headers,
      at,
      ...(a.excluded ? { excluded: a.excluded } : {}),
    });
    (rec.observer.begin(x) as ExchangeTracker | undefined)?.end(ok, 5);
    return a;
  };
  return { snap, rec, route, visit, exposures, events };
}

/** The store's view: each unit counts once, in the arm (and weights) of its first exposure. */
function firstExposures(rows: readonly ExposureRow[]) {
  const first = new Map<string, ExposureRow>();
  for (const r of rows) {
    const f = first.get(r.unit);
    if (!f || r.at < f.at) first.set(r.unit, r);
  }
  const cells = new Map<string, { arm: string; weights: string; units: number }>();
  for (const r of first.values()) {
    const k = `${r.arm}|${r.weights}`;
    const c = cells.get(k) ?? { arm: r.arm, weights: r.weights, units: 0 };
    c.units++;
    cells.set(k, c);
  }
  return [...cells.values()];
}

describe('experiments with targeting, layers and holdbacks', () => {
  it('records no exposure, vital sign or layer-outside goal for requests outside the audience', async () => {
    const { snap, rec, visit, exposures, events } = setup();
    const spec = experimentsOf(snap).byRoute.get('product')!;
    let targetedOut = 0;
    let outsideLayer = 0;
    const inside = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const a = visit(`u${i}`, i % 3 === 0 ? 'free' : 'pro', 1_700_000_000_000 + i);
      if (a.excluded === 'targeting') targetedOut++;
      else if (a.excluded === 'layer') outsideLayer++;
      else inside.add(`u${i}`);
      // Everyone checks out, in or out of the experiment.
      const x = info(snap, 'checkout', { key: 'k', method: 'POST', target: '/api/checkout', headers: { 'x-user': `u${i}` } });
      (rec.observer.begin(x) as ExchangeTracker | undefined)?.end(ok, 5);
    }
    await rec.flush();
    expect(targetedOut).toBe(134);
    expect(outsideLayer).toBeGreaterThan(60);
    expect(new Set(exposures.map((e) => e.unit))).toEqual(inside);
    const vitals = new Set(events.filter((e) => e.goal === '$requests').map((e) => e.unit));
    expect(vitals).toEqual(inside);
    // Goals of units outside the layer slice are not even "unexposed" traffic; targeted-out units' are
    // (targeting is judged on the exposure), and with targeting they raise no goal-traffic alarm.
    const goalUnits = new Set(events.filter((e) => e.goal === 'checkout').map((e) => e.unit));
    const layer = snap.routes[0]!.audience!.layer!;
    for (let i = 0; i < 400; i++) expect(goalUnits.has(`u${i}`)).toBe(inSlice(layer, `u${i}`));
    expect(inside.size).toBeLessThan(goalUnits.size);
    expect(spec.audience?.targets).toBeDefined();
  });

  it('the SRM test stays quiet across a targeted, layered holdback rollout (100 A/A runs), and catches counting the targeted-out', async () => {
    const { route, visit, exposures, rec } = setup();
    const phases = [50, 95, 100];
    let alarms = 0;
    let naiveAlarms = 0;
    let naiveRuns = 0;
    for (let run = 0; run < 100; run++) {
      exposures.length = 0;
      const naive: ExposureRow[] = [];
      let t = 1_700_000_000_000;
      for (const percent of phases) {
        // What the guardrails runtime does at promotion and at the release.
        route.weights.set([percent]);
        for (let i = 0; i < 500; i++) {
          // New users arrive, and earlier ones come back (they keep their first exposure).
          const user = `r${run}-p${percent}-u${i}`;
          const plan = i % 3 === 0 ? 'free' : 'pro';
          const a = visit(user, plan, t++);
          if (i % 2 === 0) visit(`r${run}-p50-u${i}`, i % 3 === 0 ? 'free' : 'pro', t++);
          if (a.excluded === 'targeting' && run < 20)
            naive.push({ route: 'product', unit: user, arm: 'control', at: t, weights: `${100 - percent},${percent}` });
        }
      }
      await rec.flush();
      const srm = srmCheck(['control', 'variant'], firstExposures(exposures));
      if (srm.alarm) alarms++;
      if (run < 20) {
        naiveRuns++;
        if (srmCheck(['control', 'variant'], firstExposures([...exposures, ...naive])).alarm) naiveAlarms++;
      }
    }
    // α = 0.001: the expected number of false alarms in 100 runs is 0.1.
    expect(alarms).toBeLessThanOrEqual(1);
    expect(naiveAlarms).toBe(naiveRuns);
  });

  it('weighs only the layer slice share of keyless goal traffic (2% keyless site-wide is no alarm in a 10% slice)', () => {
    // 2,000 users, 10% in the slice: 200 keyed goal requests recorded, 40 keyless from everyone.
    const g = { total: 240, withoutKey: 40, unexposed: 0 };
    expect(goalTrafficCheck(g).alarm).toBe(true);
    expect(goalTrafficCheck(g, false, 0.1)).toMatchObject({ alarm: false, layerShare: 0.1 });
    expect(goalTrafficCheck({ total: 240, withoutKey: 200, unexposed: 0 }, false, 0.1).alarm).toBe(true);
  });

  it("keeps a layer's hash apart from a route's: a salt equal to the route's seed still splits the slice by the weights", () => {
    const { snap, close } = snapshotOf(`
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:10" }
layers: [{ name: shop, salt: same }]
routes:
  - name: product
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: same
    experiment: { layer: { name: shop, range: [0, 50] } }
`);
    cleanups.push(close);
    const arms = [0, 0];
    for (let i = 0; i < 2000; i++) {
      const a = assignArm(snap.routes[0]!, { headers: { 'x-user': `u${i}` }, query: '', clientIp: '' });
      if (!a.excluded) arms[a.armIndex]!++;
    }
    expect(Math.abs(arms[0]! - arms[1]!)).toBeLessThan(150);
  });
});
