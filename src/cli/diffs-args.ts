/**
 * Flags of `fieldlab diffs`, parsed strictly: an unknown flag, a missing value or a malformed rate
 * is a usage error (exit 2), never silently ignored — a CI gate with a typo must not pass.
 */

/** The usage text (`fieldlab diffs --help`). */
export const DIFFS_HELP = `fieldlab diffs — report shadow differences stored by the proxy

Usage:
  fieldlab diffs [--config FILE | --store sqlite:PATH] [filters] [output] [--fail-on RATE [--strict]]

Where the data is:
  --config FILE      read store.url from this config (default config/fieldlab.yaml)
  --store URL        read this store instead, e.g. sqlite:./data/fieldlab.db
                     (relative paths resolve against the working directory, as in the proxy)

Filters:
  --route NAME       only this route
  --shadow NAME      only this shadow upstream
  --endpoint E       only this endpoint, as reported, e.g. "GET /users/:id"
  --since T          from T: an age (1h, 30m, 7d), an ISO date, or epoch ms
  --until T          up to T (same forms)

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
                     (1% or 0.01), listing those fields; exit 0 otherwise
  --strict           with --fail-on: fields whose noise is unmeasured count too

  --help             this text

Exit codes: 0 ok, 1 --fail-on tripped, 2 usage error or unreadable store/config.
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
  readonly strict: boolean;
  readonly examples?: number;
  readonly offset?: number;
  readonly limit?: number;
  readonly fields?: number;
  readonly help: boolean;
}

const VALUED = [
  'config',
  'store',
  'route',
  'shadow',
  'endpoint',
  'since',
  'until',
  'html',
  'fail-on',
  'examples',
  'offset',
  'limit',
  'fields',
] as const;
const PAGING = ['offset', 'limit', 'fields'] as const;
const BOOLEAN = ['json', 'strict', 'help'] as const;
type Valued = (typeof VALUED)[number];

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
 * Parses `fieldlab diffs` arguments (`--name value` or `--name=value`).
 * @example parseDiffsArgs(['--since', '1h', '--json']) // { ok: true, options: { since: '1h', json: true, … } }
 */
export function parseDiffsArgs(args: readonly string[]): { ok: true; options: DiffsOptions } | { ok: false; error: string } {
  const values: Partial<Record<Valued, string>> = {};
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h') {
      flags.add('help');
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) return { ok: false, error: `unexpected argument "${arg}"` };
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    if ((BOOLEAN as readonly string[]).includes(name)) {
      if (inline !== undefined) return { ok: false, error: `--${name} takes no value` };
      flags.add(name);
    } else if ((VALUED as readonly string[]).includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
        return { ok: false, error: `--${name} needs a value` };
      if (values[name as Valued] !== undefined) return { ok: false, error: `--${name} given twice` };
      values[name as Valued] = value;
    } else {
      return { ok: false, error: `unknown flag --${name}` };
    }
  }
  if (values.config !== undefined && values.store !== undefined) return { ok: false, error: 'use --config or --store, not both' };
  let failOn: number | undefined;
  if (values['fail-on'] !== undefined) {
    failOn = parseRate(values['fail-on']);
    if (failOn === undefined)
      return { ok: false, error: `invalid --fail-on "${values['fail-on']}" (use a percentage like 1% or a fraction like 0.01)` };
  }
  if (flags.has('strict') && failOn === undefined && !flags.has('help'))
    return { ok: false, error: '--strict only applies with --fail-on' };
  let examples: number | undefined;
  if (values.examples !== undefined) {
    examples = /^\d+$/.test(values.examples) ? Number(values.examples) : NaN;
    if (!(examples >= 0 && examples <= 100))
      return { ok: false, error: `invalid --examples "${values.examples}" (a whole number, 0 to 100)` };
  }
  const paging: { offset?: number; limit?: number; fields?: number } = {};
  for (const name of PAGING) {
    const text = values[name];
    if (text === undefined) continue;
    if (!/^\d{1,9}$/.test(text)) return { ok: false, error: `invalid --${name} "${text}" (a whole number)` };
    paging[name] = Number(text);
  }
  const { 'fail-on': _f, examples: _e, offset: _o, limit: _l, fields: _d, ...rest } = values;
  return {
    ok: true,
    options: { ...rest, ...paging, json: flags.has('json'), strict: flags.has('strict'), help: flags.has('help'), failOn, examples },
  };
}
