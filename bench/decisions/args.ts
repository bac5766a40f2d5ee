/** Command-line options of the decisions bench, validated once. */
import { parseArgs } from 'node:util';

/** Parsed options. */
export interface DecisionsOptions {
  /** Simulated runs per cell (cells that say so use fewer). */
  runs: number;
  seed: number;
  json: boolean;
  /** Only jobs whose id starts with this. */
  only: string | undefined;
}

/**
 * @example parseDecisionsOptions(['--runs', '500', '--seed', '7'])
 */
export function parseDecisionsOptions(argv: string[]): DecisionsOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      runs: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  return {
    runs: int('runs', values.runs, 1, 100_000),
    seed: int('seed', values.seed, 0, 2 ** 31 - 1),
    json: values.json,
    only: values.only,
  };
}

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}…${max}, got "${raw}"`);
  return n;
}
