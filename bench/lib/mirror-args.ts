/** Command-line options of the mirroring bench (`node dist/bench/mirror.js`), validated once. */
import { parseArgs } from 'node:util';
import { LOAD_FLAGS, loadOptions } from './args.js';

/** Parsed options; durations in seconds. */
export interface MirrorOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  passes: 1 | 2;
  users: number;
  json: boolean;
}

/**
 * @example
 * parseMirrorOptions(['--duration', '5', '--json'])
 */
export function parseMirrorOptions(argv: string[]): MirrorOptions {
  const { values } = parseArgs({ args: argv, strict: true, options: LOAD_FLAGS });
  return loadOptions(values);
}
