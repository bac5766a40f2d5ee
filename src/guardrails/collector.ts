/**
 * Turns one process's finished requests into per-second ArmSecond statistics, with the caps that make
 * the evidence robust to one unit or one client:
 *   - a unit (sticky key) gives at most one bad and one slow observation per second, so a user
 *     retrying in a loop counts once a second, not once per request;
 *   - a unit that has given `keyCap` observations this minute, or a client address that has given
 *     `clientCap`, sits out the rest of the minute: its requests leave the evidence entirely (the
 *     exposure as well as the errors, so the arms' shares stay honest);
 *   - one client address adds at most CLIENT_RATE requests and CLIENT_UNITS distinct units a second to
 *     the evidence, so many keys from one address cannot dilute a failing variant's error rate;
 *   - `topBad`/`topSlow` record how much the largest single contributor of the current calendar hour
 *     grew; the engine sets that many observations aside before acting, so no one unit or client
 *     can cause a decision alone.
 * Caps are per process; across a fleet they add up (a unit on two replicas counts twice), which the
 * engine's bounds tolerate because `top…` sums per-replica maxima (≥ any unit's fleet-wide total).
 */
import { LATENCY_BOUNDS, observe } from '../stats/histogram.js';
import { emptyArmSecond, type ArmSecond } from './arm-second.js';

/** Most requests one client address adds to the evidence per second. */
export const CLIENT_RATE = 50;
/** Most distinct units one client address adds to the evidence per second. */
export const CLIENT_UNITS = 8;
/** Units or clients tracked per minute; past this, requests of untracked ones sit out (never uncapped). */
const MAX_TRACKED = 50_000;

/** One finished request as the collector needs it. */
export interface CollectedRequest {
  arm: string;
  /** The sticky key. */
  key: string;
  /** The client address (after trusted-proxy resolution). */
  client: string;
  bad: boolean;
  slow: boolean;
  /** Upstream time in ms (request sent → response headers), not the client's upload. */
  upstreamMs: number;
  /** Epoch ms when the response ended. */
  at: number;
}

/** The collector of one route. */
export interface Collector {
  record(r: CollectedRequest): void;
  /** Completed seconds before `sec` (epoch seconds), oldest first; forgets them. */
  drain(sec: number): { sec: number; arms: Record<string, ArmSecond> }[];
}

interface Obs {
  bad: number;
  slow: number;
}

interface ArmBuilder {
  stats: ArmSecond;
  units: Set<number>;
  badUnits: Set<number>;
  slowUnits: Set<number>;
  badClients: Set<number>;
}

interface SecondBuilder {
  arms: Map<string, ArmBuilder>;
  clients: Map<number, { requests: number; units: Set<number> }>;
}

/**
 * Creates a collector; `clientCap` 0 turns every per-client limit off (all clients share one address).
 * @example
 * const c = createCollector({ keyCap: 2, clientCap: 5 });
 * c.record({ arm: 'v2', key: 'u1', client: '203.0.113.7', bad: true, slow: false, upstreamMs: 12, at: Date.now() });
 * for (const { sec, arms } of c.drain(Math.floor(Date.now() / 1000))) engine.recordSecond(sec, arms);
 */
export function createCollector(opts: { keyCap: number; clientCap: number }): Collector {
  const seconds = new Map<number, SecondBuilder>();
  let drainedBefore = -Infinity;
  let minute = -1;
  let hour = -1;
  // Per minute: what the caps count. Per hour: what the largest contributor has given.
  const unitObs = new Map<number, Obs>();
  const clientObs = new Map<number, Obs>();
  const unitHour = new Map<number, Obs>();
  const clientHour = new Map<number, Obs>();
  const maxObs = new Map<string, Obs>();

  const second = (sec: number): SecondBuilder => {
    let s = seconds.get(sec);
    if (!s) seconds.set(sec, (s = { arms: new Map(), clients: new Map() }));
    return s;
  };
  const arm = (s: SecondBuilder, name: string): ArmBuilder => {
    let a = s.arms.get(name);
    if (!a) {
      a = { stats: emptyArmSecond(), units: new Set(), badUnits: new Set(), slowUnits: new Set(), badClients: new Set() };
      s.arms.set(name, a);
    }
    return a;
  };
  const track = (m: Map<number, Obs>, h: number): Obs | undefined => {
    let o = m.get(h);
    if (!o && m.size < MAX_TRACKED) m.set(h, (o = { bad: 0, slow: 0 }));
    return o;
  };
  const over = (o: Obs | undefined, cap: number) => o !== undefined && (o.bad >= cap || o.slow >= cap);

  return {
    record(r) {
      const sec = Math.max(Math.floor(r.at / 1000), drainedBefore);
      const m = Math.floor(sec / 60);
      if (m > minute) {
        minute = m;
        unitObs.clear();
        clientObs.clear();
      }
      if (Math.floor(m / 60) > hour) {
        hour = Math.floor(m / 60);
        unitHour.clear();
        clientHour.clear();
        maxObs.clear();
      }
      const s = second(sec);
      const a = arm(s, r.arm);
      const st = a.stats;
      st.requests++;
      if (r.bad) st.bad++;
      if (r.slow) st.slow++;
      const u = keyHash(r.key);
      const perClient = opts.clientCap > 0;
      const c = perClient ? keyHash(r.client) : u;
      // Look-ups only; an entry is created on a unit's first observation.
      if (over(unitObs.get(u), opts.keyCap) || (perClient && over(clientObs.get(c), opts.clientCap))) return;
      if (perClient) {
        let cs = s.clients.get(c);
        if (!cs) s.clients.set(c, (cs = { requests: 0, units: new Set() }));
        if (cs.requests >= CLIENT_RATE || (!cs.units.has(u) && cs.units.size >= CLIENT_UNITS)) return;
        cs.requests++;
        cs.units.add(u);
      }
      const observes = (r.bad && !a.badUnits.has(u)) || (r.slow && !a.slowUnits.has(u));
      const uo = observes ? track(unitObs, u) : undefined;
      const co = observes && perClient ? track(clientObs, c) : undefined;
      const uh = observes ? track(unitHour, u) : undefined;
      const ch = observes && perClient ? track(clientHour, c) : undefined;
      // Tables full: sit out rather than go uncapped.
      if (observes && (!uo || !uh || (perClient && (!co || !ch)))) return;
      st.exposure++;
      if (r.bad) st.exposureBad++;
      if (r.slow) st.exposureSlow++;
      a.units.add(u);
      observe(st.latency, LATENCY_BOUNDS, r.upstreamMs);
      if (!observes) return;
      let top = maxObs.get(r.arm);
      if (!top) maxObs.set(r.arm, (top = { bad: 0, slow: 0 }));
      if (r.bad && !a.badUnits.has(u)) {
        a.badUnits.add(u);
        a.badClients.add(c);
        uo!.bad++;
        uh!.bad++;
        if (co) co.bad++;
        if (ch) ch.bad++;
        const now = Math.max(uh!.bad, ch?.bad ?? 0);
        if (now > top.bad) {
          st.topBad += now - top.bad;
          top.bad = now;
        }
      }
      if (r.slow && !a.slowUnits.has(u)) {
        a.slowUnits.add(u);
        uo!.slow++;
        uh!.slow++;
        if (co) co.slow++;
        if (ch) ch.slow++;
        const now = Math.max(uh!.slow, ch?.slow ?? 0);
        if (now > top.slow) {
          st.topSlow += now - top.slow;
          top.slow = now;
        }
      }
    },
    drain(before) {
      const out: { sec: number; arms: Record<string, ArmSecond> }[] = [];
      for (const sec of [...seconds.keys()].sort((x, y) => x - y)) {
        if (sec >= before) break;
        const s = seconds.get(sec)!;
        seconds.delete(sec);
        const arms: Record<string, ArmSecond> = {};
        for (const [name, a] of s.arms) {
          a.stats.units = a.units.size;
          a.stats.badObs = a.badUnits.size;
          a.stats.slowObs = a.slowUnits.size;
          a.stats.badClients = a.badClients.size;
          arms[name] = a.stats;
        }
        out.push({ sec, arms });
      }
      drainedBefore = Math.max(drainedBefore, before);
      return out;
    },
  };
}

/**
 * FNV-1a over UTF-16 code units; keys are never kept in the clear. A collision only makes two keys share a cap.
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
