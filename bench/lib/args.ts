/** Command-line options of `npm run bench`, validated once. */
import { parseArgs } from 'node:util';
import { PEERS, type PeerName } from './peers.js';

/** Parsed options; durations in seconds. */
export interface BenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  /** Passes over the peers, alternating forward and reverse order (many short ones: see paired.ts). */
  passes: number;
  users: number;
  /** Seconds of the Fieldlab-only RSS run; 0 = skip. */
  rssS: number;
  json: boolean;
  peers: PeerName[];
}

/**
 * @example
 * parseOptions(['--duration', '3', '--only', 'direct,undici'])
 */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...LOAD_FLAGS,
      rss: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const peers =
    values.only === undefined
      ? [...PEERS]
      : values.only
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
  for (const p of peers) {
    if (!(PEERS as readonly string[]).includes(p)) throw new Error(`--only: unknown peer "${p}" (peers: ${PEERS.join(', ')})`);
  }
  return {
    ...loadOptions(values),
    rssS: values.rss === undefined ? 0 : int('rss', values.rss, 5, 3600),
    json: values.json,
    // Keep the canonical order whatever order --only listed them in.
    peers: PEERS.filter((p) => peers.includes(p)),
  };
}

/** The load flags every bench shares (parseArgs option specs). */
export const LOAD_FLAGS = {
  duration: { type: 'string', default: '10' },
  warmup: { type: 'string', default: '2' },
  connections: { type: 'string', default: '50' },
  passes: { type: 'string', default: '1' },
  users: { type: 'string', default: '1000' },
  json: { type: 'boolean', default: false },
} as const;

/** The shared load settings, validated. */
export function loadOptions(values: {
  duration: string;
  warmup: string;
  connections: string;
  passes: string;
  users: string;
  json: boolean;
}) {
  return {
    durationS: int('duration', values.duration, 1, 600),
    warmupS: int('warmup', values.warmup, 0, 60),
    connections: int('connections', values.connections, 1, 10_000),
    passes: int('passes', values.passes, 1, 20),
    users: int('users', values.users, 1, 1_000_000),
    json: values.json,
  };
}

/** An integer flag in [min, max], or an error naming the flag. */
export function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}…${max}, got "${raw}"`);
  return n;
}
