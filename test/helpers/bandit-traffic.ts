// Traffic for bandit tests against real processes (a --workers group, fleet replicas): the config
// of a bandit route whose variant converts better on a checkout route, visits on fresh
// connections (so a group's kernel or primary spreads them over workers), and checkouts.
import { request } from 'undici';
import { mulberry32 } from '../../src/stats/random.js';
import type { ReplicaPorts } from './replicas.js';

export type Arm = 'control' | 'variant';

/** A config: `product` is the bandit route (updates every second, no burn-in), `checkout` holds its goal. */
export function banditYaml(o: { store: string; a: string; b: string; checkout: string; extra?: string }): (p: ReplicaPorts) => string {
  return ({ listen, admin }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: ${o.store}
log: { level: warn, access: false }
drainTimeout: 1s
${o.extra ?? ''}
upstreams: { a: ${o.a}, b: ${o.b}, checkout: ${o.checkout} }
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    sticky: [header:x-user]
    seed: bandit-fleet-test
    exposeArm: true
    experiment:
      window: 10m
      goals: [{ name: checkout, route: checkout, match: { method: POST, path: /api/checkout } }]
      allocation: bandit
      bandit: { goal: checkout, every: 1s, floor: 5%, burnIn: 0s, draws: 2000 }
  - name: checkout
    match: { path: /api/* }
    arms: { control: checkout }
`;
}

/** Visits `/product/1` as each user (25 at a time, a new connection each), spread over `urls` in turn. */
export async function visitAll(urls: readonly string[], users: readonly string[]): Promise<Arm[]> {
  const arms: Arm[] = [];
  for (let i = 0; i < users.length; i += 25)
    arms.push(
      ...(await Promise.all(
        users.slice(i, i + 25).map(async (u, j) => {
          const res = await request(`${urls[(i + j) % urls.length]}/product/1`, { headers: { 'x-user': u }, reset: true });
          await res.body.text();
          return res.headers['x-fieldlab-arm'] as Arm;
        }),
      )),
    );
  return arms;
}

/** The variant's page sells: 60% of its users check out, 10% of control's (seeded). */
export async function checkOut(urls: readonly string[], users: readonly string[], arms: readonly Arm[], seed: number): Promise<void> {
  const rnd = mulberry32(seed);
  await Promise.all(
    users.map(async (u, i) => {
      if (rnd() >= (arms[i] === 'variant' ? 0.6 : 0.1)) return;
      const res = await request(`${urls[i % urls.length]}/api/checkout`, { method: 'POST', headers: { 'x-user': u }, reset: true });
      await res.body.text();
    }),
  );
}

export const share = (arms: readonly Arm[], arm: Arm) => arms.filter((a) => a === arm).length / arms.length;

/** A stored decision as GET /decisions.json lists it. */
export interface DecisionRow {
  readonly route: string;
  readonly arm: string;
  readonly action: string;
  readonly rule: string;
  /** ISO time. */
  readonly at: string;
  readonly fromPercent: number;
  readonly toPercent: number;
}
