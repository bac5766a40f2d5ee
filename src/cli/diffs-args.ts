/**
 * Flags of `fieldlab diffs`, parsed strictly: an unknown flag, a missing value, a malformed rate or
 * an endpoint without its method is a usage error (exit 2), never silently ignored — a CI gate
 * with a typo must not pass.
 */
import type { SlowerGate } from '../compare/paired-deltas.js';
import { OVERFLOW } from '../storage/types.js';
import { type CommandSpec, parseFlags } from './flags.js';

/** The usage text (`fieldlab diffs --help`). */
export const DIFFS_HELP = `fieldlab diffs — report shadow differences stored by the proxy

Usage:
  fieldlab diffs [--config FILE | --store sqlite:PATH] [filters] [output] [--fail-on RATE [--strict] [--allow-empty]]

Where the data is:
  --config FILE      read store.url from this config (default config/fieldlab.yaml)
  --store URL        read this store instead, e.g. sqlite:./data/fieldlab.db
                     (relative paths resolve against the working directory, as in the proxy)

Filters (an unknown route, shadow or endpoint exits 2, listing the known ones):
  --route NAME       only this route
  --shadow NAME      only this shadow upstream
  --endpoint E       only this endpoint, as reported: its method and path, e.g. "GET /users/:id"
  --since T          from T: an age (1h, 30m, 7d), an ISO date, or epoch ms
  --until T          up to T (same forms)
                     Data is stored per hour: a window covers the whole hours it touches
                     (--since 1m reads the current hour); the report says which hours it read.

Output (default: a text report, ANSI colour only on a terminal; NO_COLOR turns it off):
  --json             print the report as JSON (the same model as the admin /diffs.json)
  --examples N       example pairs per field: N per real field in text (default 1), and an
                     "examples" array for non-noise fields in --json; in --html, N per field (default 3)
  --html FILE        write the same self-contained HTML page as the admin /diffs to FILE
                     (instead of the text report; combine with --json to get both)

Paging (every output is one bounded page of the ranking; the CI gate judges all of it):
  --offset N         start at the N-th endpoint of the ranking (default 0; the report names the next offset)
  --limit N          endpoints per page (default 50, at most 200)
  --fields N         fields listed per endpoint (default 100, at most 200)

CI gate:
  --fail-on RATE     exit 1 when a field with verdict "real" differs in more than RATE of pairs
                     (1% or 0.01), listing those fields; exit 0 otherwise. No pairs at all is
                     never a pass: "no data", exit 3
  --fail-on trace-slower:20ms
                     exit 1 when a real trace:slower: field's noise-corrected p50 paired delta is
                     above 20 ms (trace-slower:p95:50ms for the p95); comma-separate several gates:
                     --fail-on 1%,trace-slower:20ms
  --strict           with --fail-on: fields whose noise is unmeasured count too
  --allow-empty      with --fail-on: no pairs passes (exit 0, still saying "no data")

  --help             this text

Exit codes: 0 ok, 1 --fail-on tripped, 2 usage error, unknown name or unreadable store/config,
3 --fail-on with no data (without --allow-empty).
Verdicts: real = difference rate clearly above the field's own noise (Wilson 95% bounds);
noise = not distinguishable from it; unmeasured = too few noise observations to tell.`;

/** Parsed flags. */
export interface DiffsOptions {
  readonly config?: string;
  readonly store?: string;
  readonly route?: string;
  readonly shadow?: string;
  readonly endpoint?: string;
  readonly since?: string;
  readonly until?: string;
  readonly json: boolean;
  readonly html?: string;
  /** Fraction 0..1. */
  readonly failOn?: number;
  /** `--fail-on trace-slower:[p50:|p95:]Nms`: a real `trace:slower:` field whose noise-corrected quantile exceeds N ms. */
  readonly failOnSlower?: readonly SlowerGate[];
  readonly strict: boolean;
  readonly allowEmpty: boolean;
  readonly examples?: number;
  readonly offset?: number;
  readonly limit?: number;
  readonly fields?: number;
  readonly help: boolean;
}

/** The flags of `fieldlab diffs` (DIFFS_HELP explains them at length; a test keeps both in step). */
export const DIFFS: CommandSpec = {
  name: 'diffs',
  summary: 'the shadow-diff report from the store; a CI gate with --fail-on (fieldlab diffs --help)',
  flags: {
    config: { value: 'FILE', help: 'read store.url from this config (default config/fieldlab.yaml)' },
    store: { value: 'URL', help: 'read this store instead, e.g. sqlite:./data/fieldlab.db' },
    route: { value: 'NAME', help: 'only this route' },
    shadow: { value: 'NAME', help: 'only this shadow upstream' },
    endpoint: { value: 'E', help: 'only this endpoint: method and path, e.g. "GET /users/:id"' },
    since: { value: 'T', help: 'from T: an age (1h, 30m, 7d), an ISO date or epoch ms (data is hourly)' },
    until: { value: 'T', help: 'up to T (same forms)' },
    json: { help: 'print the report as JSON' },
    html: { value: 'FILE', help: 'write the admin /diffs page to FILE' },
    examples: { value: 'N', help: 'example pairs per field' },
    offset: { value: 'N', help: 'start at the N-th endpoint of the ranking' },
    limit: { value: 'N', help: 'endpoints per page (default 50, at most 200)' },
    fields: { value: 'N', help: 'fields listed per endpoint (default 100, at most 200)' },
    'fail-on': {
      value: 'RATE',
      help: 'CI gate: exit 1 when a real field differs in more than RATE of pairs (or trace-slower:[p95:]Nms; comma-separated)',
    },
    strict: { help: 'with --fail-on: unmeasured fields count too' },
    'allow-empty': { help: 'with --fail-on: no pairs passes (default: "no data", exit 3)' },
  },
};

const PAGING = ['offset', 'limit', 'fields'] as const;

/**
 * A CI threshold: `1%`, `0.5%` or a fraction such as `0.01`. A bare number ≥ 1 is refused as
 * ambiguous (is `1` one percent or everything?).
 * @example parseRate('1%') // 0.01
 * @example parseRate('0.01') // 0.01
 */
export function parseRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] === '%') return n <= 100 ? n / 100 : undefined;
  return n < 1 ? n : undefined;
}

/**
 * A `trace-slower:` gate: `trace-slower:20ms` (p50) or `trace-slower:p95:50ms`; undefined otherwise.
 * @example parseSlowerGate('trace-slower:p95:50ms') // { quantile: 'p95', ms: 50 }
 */
export function parseSlowerGate(text: string): SlowerGate | undefined {
  const m = /^\s*trace-slower:(?:(p50|p95):)?(\d{1,6}(?:\.\d+)?)ms\s*$/.exec(text);
  return m ? { quantile: (m[1] ?? 'p50') as SlowerGate['quantile'], ms: Number(m[2]) } : undefined;
}

/**
 * Parses `fieldlab diffs` arguments (`--name value` or `--name=value`).
 * @example parseDiffsArgs(['--since', '1h', '--json']) // { ok: true, options: { since: '1h', json: true, … } }
 */
export function parseDiffsArgs(args: readonly string[]): { ok: true; options: DiffsOptions } | { ok: false; error: string } {
  const parsed = parseFlags(args, DIFFS.flags);
  if (!parsed.ok) return parsed;
  const v = (name: string) => parsed.args.values.get(name);
  const has = (name: string) => parsed.args.set.has(name);
  if (v('config') !== undefined && v('store') !== undefined) return { ok: false, error: 'use --config or --store, not both' };
  let failOn: number | undefined;
  let failOnSlower: SlowerGate[] | undefined;
  const gates = v('fail-on');
  for (const gate of gates === undefined ? [] : gates.split(',')) {
    const slower = parseSlowerGate(gate);
    if (slower) (failOnSlower ??= []).push(slower);
    else if (failOn === undefined && (failOn = parseRate(gate)) !== undefined) continue;
    else
      return {
        ok: false,
        error: `invalid --fail-on "${gate}" (use a percentage like 1%, a fraction like 0.01, or trace-slower:20ms / trace-slower:p95:50ms)`,
      };
  }
  for (const name of ['strict', 'allow-empty'])
    if (has(name) && failOn === undefined && failOnSlower === undefined && !has('help'))
      return { ok: false, error: `--${name} only applies with --fail-on` };
  const endpoint = v('endpoint');
  // Endpoints are reported as "METHOD /path"; a bare path would match nothing and pass a gate.
  if (endpoint !== undefined && endpoint !== OVERFLOW && !/^[A-Z]+ \/\S*$/.test(endpoint))
    return {
      ok: false,
      error: `--endpoint "${endpoint}" needs its method: use the form "GET ${endpoint.startsWith('/') ? endpoint : '/path'}", as the report lists endpoints`,
    };
  let examples: number | undefined;
  const ex = v('examples');
  if (ex !== undefined) {
    examples = /^\d+$/.test(ex) ? Number(ex) : NaN;
    if (!(examples >= 0 && examples <= 100)) return { ok: false, error: `invalid --examples "${ex}" (a whole number, 0 to 100)` };
  }
  const paging: { offset?: number; limit?: number; fields?: number } = {};
  for (const name of PAGING) {
    const text = v(name);
    if (text === undefined) continue;
    if (!/^\d{1,9}$/.test(text)) return { ok: false, error: `invalid --${name} "${text}" (a whole number)` };
    paging[name] = Number(text);
  }
  const text = (name: string) => (v(name) !== undefined ? { [name]: v(name) } : {});
  return {
    ok: true,
    options: {
      ...text('config'),
      ...text('store'),
      ...text('route'),
      ...text('shadow'),
      ...text('endpoint'),
      ...text('since'),
      ...text('until'),
      ...text('html'),
      ...paging,
      json: has('json'),
      strict: has('strict'),
      allowEmpty: has('allow-empty'),
      help: has('help'),
      failOn,
      ...(failOnSlower ? { failOnSlower } : {}),
      examples,
    },
  };
}
