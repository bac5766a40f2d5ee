/** Command-line options of the mirroring bench (`node dist/bench/mirror.js`), validated once. */
import { parseArgs } from 'node:util';
import { LOAD_FLAGS, loadOptions } from './args.js';
import { SCENARIOS, type ScenarioName } from './mirror-scenarios.js';

/** Parsed options; durations in seconds. */
export interface MirrorOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  passes: number;
  users: number;
  json: boolean;
  /** Scenarios to run, in canonical order (`--only baseline,mirror-big-50mib`; default all). */
  only: readonly ScenarioName[];
}

/**
 * @example
 * parseMirrorOptions(['--duration', '5', '--only', 'baseline,mirror-big-50mib'])
 */
export function parseMirrorOptions(argv: string[]): MirrorOptions {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...LOAD_FLAGS, only: { type: 'string' } } });
  const wanted = values.only === undefined ? [...SCENARIOS] : values.only.split(',').map((s) => s.trim());
  for (const w of wanted) {
    if (!(SCENARIOS as readonly string[]).includes(w)) throw new Error(`--only: unknown scenario "${w}" (${SCENARIOS.join(', ')})`);
  }
  return { ...loadOptions(values), only: SCENARIOS.filter((s) => wanted.includes(s)) };
}
