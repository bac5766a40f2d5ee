/**
 * Micro-bench of the assignment step with an experiment audience: the same route compiled from YAML
 * four ways (no audience, targeting on two headers and the client IP, a layer slice, both), each
 * assigning the same 200,000 requests. Reports ns per assignment and the ratio to the plain route,
 * measured in one run (the machine is shared: read ratios, not absolutes).
 * Run: npm run build && node dist/bench/audience.js [--n 200000] [--json]
 */
import { parseArgs } from 'node:util';
import { compileSnapshot } from '../src/config/compile.js';
import { loadConfigText } from '../src/config/load.js';
import { createPoolRegistry } from '../src/forward/pools.js';
import { assignArm } from '../src/routing/assignment.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200000' }, json: { type: 'boolean', default: false } } });
const n = Number(values.n);

const variants: Record<string, string> = {
  plain: '',
  targeting: 'experiment: { when: { header: { x-plan: [pro, team], x-beta: "*" }, ip: [10.0.0.0/8] } }',
  layer: 'experiment: { layer: { name: l, share: 50 } }',
  both: 'experiment: { when: { header: { x-plan: [pro, team], x-beta: "*" }, ip: [10.0.0.0/8] }, layer: { name: l, share: 50 } }',
};

function routeOf(extra: string) {
  const yaml = `
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:10" }
layers: [{ name: l, salt: bench }]
routes:
  - name: r
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: bench
    ${extra}
`;
  const loaded = loadConfigText(yaml, 'bench.yaml', {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return compileSnapshot(loaded.config, loaded.text, 'bench.yaml', 1, createPoolRegistry(), createPoolRegistry()).routes[0]!;
}

// Every request is in the audience (the expensive path: all rules run, then both hashes).
const inputs = Array.from({ length: 1000 }, (_, i) => ({
  headers: { 'x-user': `user-${i}`, 'x-plan': 'pro', 'x-beta': '1' },
  query: '',
  clientIp: `10.0.${i >> 8}.${i & 255}`,
}));

const result: Record<string, { nsPerOp: number; ratio: number }> = {};
const routes = Object.entries(variants).map(([name, extra]) => [name, routeOf(extra)] as const);
let sink = 0;
for (const pass of [0, 1]) {
  for (const [name, route] of routes) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += assignArm(route, inputs[i % inputs.length]!).armIndex;
    const ns = Number(process.hrtime.bigint() - t0) / n;
    // The first pass warms up the JIT; the second is reported.
    if (pass === 1) result[name] = { nsPerOp: Math.round(ns), ratio: 0 };
  }
}
for (const r of Object.values(result)) r.ratio = +(r.nsPerOp / result.plain!.nsPerOp).toFixed(2);
if (values.json) console.log(JSON.stringify({ n, result, sink }));
else
  for (const [name, r] of Object.entries(result))
    console.log(`${name.padEnd(10)} ${String(r.nsPerOp).padStart(6)} ns/assignment  ${r.ratio}×`);
