/** Command-line options of the mirroring bench (`node dist/bench/mirror.js`), validated once. */
import { parseArgs } from 'node:util';

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
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      passes: { type: 'string', default: '1' },
      users: { type: 'string', default: '1000' },
      json: { type: 'boolean', default: false },
    },
  });
  return {
    durationS: int('duration', values.duration, 1, 600),
    warmupS: int('warmup', values.warmup, 0, 60),
    connections: int('connections', values.connections, 1, 10_000),
    passes: int('passes', values.passes, 1, 2) as 1 | 2,
    users: int('users', values.users, 1, 1_000_000),
    json: values.json,
  };
}

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}…${max}, got "${raw}"`);
  return n;
}
