/**
 * End-to-end rollback bench: a real variant upstream that starts failing under real load, behind a
 * real Fieldlab with guardrails. Reports the time from the variant's first failure to the decision,
 * and to the last request that still reached the variant: how long users were exposed.
 * Run: npm run build && node dist/bench/rollback.js [--rate 200] [--weight 10] [--fail-after 10] [--runs 3] [--json]
 */
import { parseArgs } from 'node:util';
import { request, Pool } from 'undici';
import { installCleanup, spawnNode, waitForPortLine } from './lib/children.js';
import { startFieldlab } from './lib/fieldlab.js';
import { join } from 'node:path';
import { BENCH_DIR } from './lib/paths.js';

const distPath = (file: string) => join(BENCH_DIR, file.replace(/^bench\//, ''));

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    weight: { type: 'string', default: '10' },
    'fail-after': { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const weight = Number(values.weight);
const failAfterS = Number(values['fail-after']);
const runs = Number(values.runs);
installCleanup((failAfterS + 90) * 1000 * runs + 60_000);

interface RunResult {
  toDecisionMs: number | null;
  exposureMs: number | null;
  failuresSeen: number;
  decision: string | null;
  clientErrors: number;
}

async function once(): Promise<RunResult> {
  const control = spawnNode('control', [distPath('bench/upstream.js')]);
  const variant = spawnNode('variant', [distPath('bench/failing-upstream.js'), '--fail-after', String(failAfterS * 1000)]);
  const [cPort, vPort] = await Promise.all([waitForPortLine(control, 10_000), waitForPortLine(variant, 10_000)]);
  const fl = await startFieldlab(cPort, 15_000, {
    args: ['--no-watch'],
    config: (s) => `listen: 127.0.0.1:${s.listen}
admin: { listen: 127.0.0.1:${s.admin} }
store: sqlite:${s.dir}/rollback.db
log: { level: warn, access: false }
drainTimeout: 2s
upstreams: { control: http://127.0.0.1:${cPort}, variant: http://127.0.0.1:${vPort} }
routes:
  - name: bench
    arms: { control: control, variant: variant }
    split: { variant: ${weight} }
    sticky: [header:x-user-id]
    guardrails: { onBreach: rollback, clientCap: 0 }   # every simulated user comes from 127.0.0.1
`,
  });
  const pool = new Pool(`http://127.0.0.1:${fl.port}`, { connections: 16 });
  let n = 0;
  let clientErrors = 0;
  const started = Date.now();
  // Fixed-rate open-loop load over many users, like real traffic (not a saturation test).
  const timer = setInterval(() => {
    for (let i = 0; i < rate / 100; i++) {
      const user = `user-${n++ % 5000}`;
      pool
        .request({ path: '/api/items/1', method: 'GET', headers: { 'x-user-id': user } })
        .then((r) => r.body.dump())
        .catch(() => clientErrors++);
    }
  }, 10);
  let decisionAt: number | null = null;
  let decision: string | null = null;
  while (Date.now() - started < (failAfterS + 60) * 1000) {
    await new Promise((r) => setTimeout(r, 250));
    const res = await request(`http://127.0.0.1:${fl.adminPort}/decisions.json`);
    const { decisions } = (await res.body.json()) as { decisions: { at: number; action: string; rule: string; reason: string }[] };
    const rb = decisions.find((d) => d.action === 'rollback' || d.action === 'pause');
    if (rb) {
      decisionAt = rb.at;
      decision = `${rb.action} (${rb.rule})`;
      break;
    }
  }
  // Keep traffic flowing a little longer: requests after the decision must all go to control.
  await new Promise((r) => setTimeout(r, 3000));
  clearInterval(timer);
  await pool.close();
  const stats = (await (await request(`http://127.0.0.1:${vPort}/__stats`)).body.json()) as {
    failures: number;
    firstFailureAt: number | null;
    lastRequestAt: number | null;
  };
  await fl.stop();
  await Promise.all([control.stop(), variant.stop()]);
  const first = stats.firstFailureAt;
  return {
    toDecisionMs: first !== null && decisionAt !== null ? decisionAt - first : null,
    exposureMs: first !== null && stats.lastRequestAt !== null ? stats.lastRequestAt - first : null,
    failuresSeen: stats.failures,
    decision,
    clientErrors,
  };
}

const results: RunResult[] = [];
for (let i = 0; i < runs; i++) {
  process.stderr.write(`rollback bench: run ${i + 1}/${runs}\n`);
  results.push(await once());
}
const median = (xs: number[]) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
const summary = {
  setup: { rate, weightPercent: weight, failAfterS, runs },
  medianToDecisionMs: median(results.flatMap((r) => (r.toDecisionMs === null ? [] : [r.toDecisionMs]))),
  medianExposureMs: median(results.flatMap((r) => (r.exposureMs === null ? [] : [r.exposureMs]))),
  runs: results,
};
if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  const s = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  process.stdout.write(
    [
      `# End-to-end rollback: ${rate} req/s, variant at ${weight}%, variant fails from t = ${failAfterS} s`,
      '',
      '| run | decision | first failure → decision | first failure → last request to variant | failed requests users saw | client errors |',
      '|---:|---|---:|---:|---:|---:|',
      ...results.map(
        (r, i) =>
          `| ${i + 1} | ${r.decision ?? 'none'} | ${s(r.toDecisionMs)} | ${s(r.exposureMs)} | ${r.failuresSeen} | ${r.clientErrors} |`,
      ),
      '',
      `median: decision after ${s(summary.medianToDecisionMs)}, last request to the failing variant after ${s(summary.medianExposureMs)}`,
      '',
    ].join('\n'),
  );
}
process.exit(0);
