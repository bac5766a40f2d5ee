/**
 * Flags of `fieldlab replay`, from one table (the usage line, `--help` and the parser agree), and
 * their values checked strictly: a typo in a CI job exits 2, it never replays something else.
 */
import { parseDuration } from '../config/units.js';
import { parseTimeBound } from '../compare/report-filter.js';
import { parseSegment, type Segment } from '../replay/segment.js';
import { parseRate } from './diffs-args.js';
import type { CommandSpec, ParsedArgs } from './flags.js';

/** `fieldlab replay`: its flags. */
export const REPLAY: CommandSpec = {
  name: 'replay',
  summary:
    "send a route's recorded requests to a candidate and compare its answers with the recorded ones (the shadow-diff report; a CI gate with --fail-on)",
  flags: {
    route: { value: 'NAME', help: 'the route whose recordings are replayed (required)' },
    to: { value: 'URL', help: 'the candidate, e.g. http://staging:8080 (required; an origin, no path)' },
    config: { value: 'FILE', help: "read store.url and the route's compare/redact rules from this config (default config/fieldlab.yaml)" },
    store: { value: 'URL', help: 'read recordings from this store instead (then default compare rules)' },
    since: { value: 'T', help: 'only requests recorded since T: an age (1h, 30m), an ISO date or epoch ms' },
    segment: { value: 'S', help: 'only these: arm=NAME, method=POST, units=0-5% (comma-separated, all must hold)' },
    rate: { value: 'N/s', help: 'requests per second to the candidate at most (default 10/s)' },
    concurrency: { value: 'N', help: 'requests in flight at most (default 4)' },
    timeout: { value: 'DUR', help: "the candidate's time per request (default 5s); a timeout is compared as an error" },
    header: { value: "'NAME: VALUE'", help: 'send this header to the candidate (e.g. a staging credential for redacted ones)' },
    limit: { value: 'N', help: 'replay at most N requests in this run (resume later with --resume)' },
    checkpoint: {
      value: 'FILE',
      help: 'where progress is kept (default .fieldlab-replay/ROUTE.json; the report data next to it, FILE.db)',
    },
    resume: { help: 'continue after the last replayed request of the checkpoint (same route, candidate and selection)' },
    json: { help: 'print the report as JSON (the fieldlab diffs model); the summary goes to stderr' },
    examples: { value: 'N', help: 'example pairs per field in the report' },
    'fail-on': { value: 'RATE', help: 'CI gate: exit 1 when a real field differs in more than RATE of replayed pairs' },
    strict: { help: 'with --fail-on: unmeasured fields count too' },
    'allow-empty': { help: 'with --fail-on: nothing to replay passes (default: "no data", exit 3)' },
  },
};

/** Parsed and checked options. */
export interface ReplayOptions {
  readonly route: string;
  readonly to: string;
  readonly config?: string;
  readonly store?: string;
  readonly since?: number;
  readonly sinceText?: string;
  readonly segment: Segment;
  readonly segmentText?: string;
  readonly rate: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly header?: readonly [string, string];
  readonly limit?: number;
  readonly checkpoint: string;
  readonly resume: boolean;
  readonly json: boolean;
  readonly examples?: number;
  readonly failOn?: number;
  readonly strict: boolean;
  readonly allowEmpty: boolean;
}

const whole = (text: string, min: number, max: number) => (/^\d{1,9}$/.test(text) && +text >= min && +text <= max ? +text : undefined);

/**
 * Checks parsed flags; `now` anchors `--since 1h`.
 * @example checkReplayArgs(readFlags(REPLAY, ['--route', 'r', '--to', 'http://h:1'], io), Date.now())
 */
export function checkReplayArgs(a: ParsedArgs, now: number): { ok: true; options: ReplayOptions } | { ok: false; error: string } {
  const v = (n: string) => a.values.get(n);
  const route = v('route');
  const to = v('to');
  if (route === undefined) return { ok: false, error: 'missing --route NAME' };
  if (to === undefined) return { ok: false, error: 'missing --to URL (the candidate)' };
  if (!URL.canParse(to) || !/^https?:$/.test(new URL(to).protocol)) return { ok: false, error: `--to "${to}" is not an http(s) URL` };
  if (!['', '/'].includes(new URL(to).pathname))
    return { ok: false, error: `--to "${to}" has a path; give the origin (requests keep their recorded paths)` };
  if (v('config') !== undefined && v('store') !== undefined) return { ok: false, error: 'use --config or --store, not both' };
  const out: { -readonly [K in keyof ReplayOptions]: ReplayOptions[K] } = {
    route,
    to: new URL(to).origin,
    segment: {},
    rate: 10,
    concurrency: 4,
    timeoutMs: 5000,
    checkpoint: v('checkpoint') ?? `.fieldlab-replay/${route}.json`,
    resume: a.set.has('resume'),
    json: a.set.has('json'),
    strict: a.set.has('strict'),
    allowEmpty: a.set.has('allow-empty'),
  };
  if (v('config') !== undefined) out.config = v('config')!;
  if (v('store') !== undefined) out.store = v('store')!;
  const since = v('since');
  if (since !== undefined) {
    const t = parseTimeBound(since, now);
    if (t === undefined) return { ok: false, error: `invalid --since "${since}" (use an age like 1h or 30m, an ISO date, or epoch ms)` };
    out.since = t;
    out.sinceText = since;
  }
  const seg = v('segment');
  if (seg !== undefined) {
    const s = parseSegment(seg);
    if (!s.ok) return s;
    out.segment = s.segment;
    out.segmentText = seg;
  }
  const rate = v('rate');
  if (rate !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(rate);
    if (!m || !(+m[1]! > 0) || +m[1]! > 100_000)
      return { ok: false, error: `invalid --rate "${rate}" (requests per second, e.g. 20/s or 0.5/s)` };
    out.rate = +m[1]!;
  }
  for (const [name, key, max] of [
    ['concurrency', 'concurrency', 1024],
    ['limit', 'limit', 1e9],
    ['examples', 'examples', 100],
  ] as const) {
    const text = v(name);
    if (text === undefined) continue;
    const n = whole(text, name === 'examples' ? 0 : 1, max);
    if (n === undefined)
      return { ok: false, error: `invalid --${name} "${text}" (a whole number${name === 'examples' ? ', 0 to 100' : ' ≥ 1'})` };
    out[key] = n;
  }
  const timeout = v('timeout');
  if (timeout !== undefined) {
    const d = parseDuration(timeout);
    if (!d.ok || d.value <= 0) return { ok: false, error: `invalid --timeout "${timeout}" (a duration like 5s)` };
    out.timeoutMs = d.value;
  }
  const header = v('header');
  if (header !== undefined) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(header);
    if (!m) return { ok: false, error: `invalid --header "${header}" (use 'NAME: VALUE')` };
    out.header = [m[1]!.toLowerCase(), m[2]!];
  }
  const failOn = v('fail-on');
  if (failOn !== undefined) {
    const r = parseRate(failOn);
    if (r === undefined) return { ok: false, error: `invalid --fail-on "${failOn}" (use a percentage like 1% or a fraction like 0.01)` };
    out.failOn = r;
  }
  for (const name of ['strict', 'allow-empty'])
    if (a.set.has(name) && out.failOn === undefined) return { ok: false, error: `--${name} only applies with --fail-on` };
  return { ok: true, options: out };
}
