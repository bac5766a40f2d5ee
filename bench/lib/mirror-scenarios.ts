/** The mirroring bench's four runs: which shadow child each one starts and the Fieldlab config it gets. */
import { join } from 'node:path';
import { spawnNode, waitForPortLine, type Child } from './children.js';
import type { ConfigSlots } from './fieldlab.js';
import { BENCH_DIR } from './paths.js';
import { STARTUP_TIMEOUT_MS } from './peers.js';

/** Measurement order of a pass; a second pass runs it reversed. */
export const SCENARIOS = ['baseline', 'mirror-healthy', 'mirror-slow', 'mirror-dead', 'mirror-big-5mib', 'mirror-big-50mib'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The shadow's latency in mirror-slow: well under the 5 s shadow timeout, far over the primary's. */
export const SLOW_DELAY_MS = 2000;

/** The shadow process each scenario needs (script in dist/bench/ and its args); none for baseline. */
const SHADOW: Record<ScenarioName, string[] | undefined> = {
  baseline: undefined,
  'mirror-healthy': ['upstream.js'], // a second, separate instance of the primary
  'mirror-slow': ['slow-upstream.js', '--delay', String(SLOW_DELAY_MS)],
  'mirror-dead': ['slow-upstream.js', '--never'],
  // Answers 5 / 50 MiB: only compare.maxBody (256 KiB) of it is read before the exchange is cut.
  'mirror-big-5mib': ['big-upstream.js', '--mib', '5'],
  'mirror-big-50mib': ['big-upstream.js', '--mib', '50'],
};

/**
 * Starts the scenario's shadow upstream in its own process; undefined for baseline.
 *
 * @example
 * const shadow = await startShadow('mirror-dead'); … await shadow?.child.stop();
 */
export async function startShadow(name: ScenarioName): Promise<{ child: Child; port: number } | undefined> {
  const spec = SHADOW[name];
  if (!spec) return undefined;
  const [script, ...args] = spec;
  const child = spawnNode(`shadow (${name})`, [join(BENCH_DIR, script!), ...args]);
  try {
    return { child, port: await waitForPortLine(child, STARTUP_TIMEOUT_MS) };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/**
 * One route, one arm, so every request is mirrored (a shadow mirrors the control arm by default) and the
 * only difference between scenarios is the `shadow:` line, left at its defaults apart from `percent`:
 * concurrency 64, queue 256, timeout 5s. Diffs go to a SQLite file in the temp dir, as in production;
 * access logs are off.
 */
export function mirrorConfig(s: ConfigSlots, primaryPort: number, shadowPort: number | undefined): string {
  const lines = [
    `listen: 127.0.0.1:${s.listen}`,
    `admin: { listen: 127.0.0.1:${s.admin} }`,
    `store: ${JSON.stringify(`sqlite:${join(s.dir, 'diffs.db')}`)}`,
    `log: { level: warn, access: false }`,
    `drainTimeout: 2s`,
    `upstreams:`,
    `  primary: http://127.0.0.1:${primaryPort}`,
    ...(shadowPort === undefined ? [] : [`  dark: http://127.0.0.1:${shadowPort}`]),
    `routes:`,
    `  - name: bench`,
    `    match: { path: /api/* }`,
    `    arms: { control: primary }`,
    `    sticky: [header:x-user-id]`,
    ...(shadowPort === undefined ? [] : [`    shadow: [{ to: dark, percent: 100 }]`]),
  ];
  return lines.join('\n') + '\n';
}
