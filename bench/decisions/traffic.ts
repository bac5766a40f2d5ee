/**
 * Simulated traffic for the decisions bench, aggregated per second: instead of dispatching every
 * request, each second draws per-arm Poisson counts for the crowd of light users and simulates only
 * the few explicit (heavy, failing) users one by one, then builds the ArmSecond statistics the
 * proxy's collector would have produced — one observation per unit per second, `keyCap` per unit per
 * minute (then the unit sits out the minute), and the growth of the hour's largest contributor.
 * Approximation: each crowd request is its own unit (light users rarely send two requests in one
 * second), so caps only bind on explicit users.
 */
import { emptyArmSecond, type ArmSecond } from '../../src/guardrails/arm-second.js';
import { binomial, poisson, type Rng } from '../../src/stats/random.js';

/** A user simulated one by one. */
export interface ExplicitUser {
  /** Requests per second. */
  rate: number;
  /** Error rate of its requests (null = its arm's rate). */
  p: number | null;
  /** Bucket in [0, 1): on the variant while bucket < weight. */
  bucket: number;
}

/** What the traffic looks like. */
export interface TrafficSpec {
  /** Crowd requests per second (explicit users come on top). */
  rps: number;
  pControl: number;
  pVariant: number;
  /** After the variant's weight first reaches this percent, its crowd error rate becomes `breakTo`. */
  breakAt?: number;
  breakTo?: number;
  users?: ExplicitUser[];
  /** Errors strike in bursts of this many distinct units in one second (rate per request unchanged). */
  burst?: number;
  /** Both arms at `p` errors during [from, to) seconds. */
  incident?: { from: number; to: number; p: number };
  /** Share of requests over the latency threshold. */
  slowControl?: number;
  slowVariant?: number;
  /** Fixed realized share of the crowd on the variant (a sampled population); default = the weight. */
  crowdShare?: (weight: number) => number;
}

/** A traffic source; `second(t, weight)` gives the stats of second t at the variant's weight (0–1). */
export interface Traffic {
  second(t: number, weight: number): { control: ArmSecond; v: ArmSecond };
}

const KEY_CAP = 2;

/**
 * Creates the source.
 * @example const tr = createTraffic({ rps: 50, pControl: 0.005, pVariant: 0.005 }, rnd); tr.second(0, 0.01)
 */
export function createTraffic(spec: TrafficSpec, rnd: Rng): Traffic {
  const users = spec.users ?? [];
  const userObs = users.map(() => ({ minute: -1, bad: 0, hour: -1, hourBad: 0 }));
  const maxBad = { control: { hour: -1, n: 0 }, v: { hour: -1, n: 0 } };
  let broken = false;
  // The bench models no latency bins: an empty histogram skips the engine's per-bin work.
  const out = { control: { ...emptyArmSecond(), latency: [] as number[] }, v: { ...emptyArmSecond(), latency: [] as number[] } };

  const reset = (s: ArmSecond) => {
    s.requests = s.bad = s.slow = s.exposure = s.exposureBad = s.exposureSlow = 0;
    s.units = s.badObs = s.slowObs = s.badClients = s.topBad = s.topSlow = 0;
  };
  const top = (arm: 'control' | 'v', hour: number, n: number) => {
    const m = maxBad[arm];
    if (m.hour !== hour) {
      m.hour = hour;
      m.n = 0;
    }
    if (n > m.n) {
      out[arm].topBad += n - m.n;
      m.n = n;
    }
  };

  return {
    second(t, weight) {
      reset(out.control);
      reset(out.v);
      const minute = Math.floor(t / 60);
      const hour = Math.floor(t / 3600);
      if (spec.breakAt !== undefined && weight * 100 >= spec.breakAt) broken = true;
      const inIncident = spec.incident && t >= spec.incident.from && t < spec.incident.to;
      const pv = inIncident ? spec.incident!.p : broken ? spec.breakTo! : spec.pVariant;
      const pc = inIncident ? spec.incident!.p : spec.pControl;
      const share = spec.crowdShare ? spec.crowdShare(weight) : weight;
      for (const [arm, rate, p, slowP] of [
        ['v', spec.rps * share, pv, spec.slowVariant ?? 0],
        ['control', spec.rps * (1 - share), pc, spec.slowControl ?? 0],
      ] as const) {
        const s = out[arm];
        const n = poisson(rnd, rate);
        const bad = spec.burst ? 0 : binomial(rnd, n, p);
        const slow = slowP > 0 ? binomial(rnd, n, slowP) : 0;
        s.requests += n;
        s.exposure += n;
        s.units += n;
        s.bad += bad;
        s.exposureBad += bad;
        s.badObs += bad;
        s.badClients += bad;
        s.slow += slow;
        s.exposureSlow += slow;
        s.slowObs += slow;
        if (slow > 0 && s.topSlow === 0) s.topSlow = 1;
        if (bad > 0) top(arm, hour, 1);
      }
      if (spec.burst) {
        // Bursts of `size` distinct units, arriving so that the per-request rate matches pControl.
        const bursts = poisson(rnd, (spec.rps * spec.pControl) / spec.burst);
        for (let b = 0; b < bursts; b++) {
          const onV = binomial(rnd, spec.burst, share);
          for (const [arm, k] of [
            ['v', onV],
            ['control', spec.burst - onV],
          ] as const) {
            const s = out[arm];
            s.requests += k;
            s.exposure += k;
            s.units += k;
            s.bad += k;
            s.exposureBad += k;
            s.badObs += k;
            s.badClients += k;
            if (k > 0) top(arm, hour, 1);
          }
        }
      }
      for (let i = 0; i < users.length; i++) {
        const u = users[i]!;
        const arm = u.bucket < weight ? 'v' : 'control';
        const n = poisson(rnd, u.rate);
        if (n === 0) continue;
        const p = u.p ?? (arm === 'v' ? pv : pc);
        const bad = binomial(rnd, n, p);
        const s = out[arm];
        s.requests += n;
        s.bad += bad;
        const o = userObs[i]!;
        if (o.minute !== minute) {
          o.minute = minute;
          o.bad = 0;
        }
        if (o.hour !== hour) {
          o.hour = hour;
          o.hourBad = 0;
        }
        if (o.bad >= KEY_CAP) continue; // sits out the rest of the minute
        s.exposure += n;
        s.units += 1;
        s.exposureBad += bad;
        if (bad > 0) {
          s.badObs += 1;
          s.badClients += 1;
          o.bad++;
          o.hourBad++;
          top(arm, hour, o.hourBad);
        }
      }
      return out;
    },
  };
}

/**
 * A log-normal population: `count` users whose rates have log-sd `sigma`, scaled to `rps` in total.
 * Users above `explicitAbove` req/s are simulated one by one; the rest form the crowd, and the crowd's
 * share on the variant is the realized share of its users' rates (not the weight).
 * @example const pop = lognormalPopulation(rnd, 2000, 1.5, 500)
 */
export function lognormalPopulation(
  rnd: Rng,
  count: number,
  sigma: number,
  rps: number,
  explicitAbove = 0.5,
): { users: ExplicitUser[]; crowdRps: number; crowdShare: (weight: number) => number } {
  const raw = Array.from({ length: count }, () => Math.exp(sigma * normal(rnd)));
  const scale = rps / raw.reduce((a, b) => a + b, 0);
  const all = raw.map((r) => ({ rate: r * scale, bucket: rnd() }));
  const users = all.filter((u) => u.rate > explicitAbove).map((u) => ({ ...u, p: null }));
  const crowd = all.filter((u) => u.rate <= explicitAbove);
  const crowdRps = crowd.reduce((a, u) => a + u.rate, 0);
  const cache = new Map<number, number>();
  return {
    users,
    crowdRps,
    crowdShare: (w) => {
      let s = cache.get(w);
      if (s === undefined) {
        s = crowdRps > 0 ? crowd.filter((u) => u.bucket < w).reduce((a, u) => a + u.rate, 0) / crowdRps : 0;
        cache.set(w, s);
      }
      return s;
    },
  };
}

function normal(rnd: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}
