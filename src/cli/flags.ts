/**
 * The flags of every command, as tables: one table per command is what its parser accepts, what
 * its usage line shows and what `--help` lists, so a flag cannot be read without being documented
 * or be misspelt without an exit 2. Add a flag by adding a row.
 */

import { suggest } from '../config/suggest.js';
import type { CliIo } from './io.js';

/** One flag: `value` names its argument (FILE, N) when it takes one. */
export interface FlagSpec {
  readonly value?: string;
  readonly help: string;
}

/** Flag name (without `--`) → spec. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** Parsed arguments: values of valued flags, boolean flags present, and the rest in order. */
export interface ParsedArgs {
  readonly values: ReadonlyMap<string, string>;
  readonly set: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/**
 * Parses `--name value`, `--name=value`, boolean `--name` and positionals strictly: an unknown flag
 * (with a did-you-mean), a missing value, a value given twice or a value on a boolean flag is an
 * error. `--help`/`-h` are always accepted (as `help`).
 * @example parseFlags(['--config', 'a.yaml', '--no-watch'], START_FLAGS) // { ok: true, args: { values: Map { config → 'a.yaml' }, set: Set { 'no-watch' }, … } }
 */
export function parseFlags(
  args: readonly string[],
  table: FlagTable,
  positionals: { readonly max: number } = { max: 0 },
): { ok: true; args: ParsedArgs } | { ok: false; error: string } {
  const values = new Map<string, string>();
  const set = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      set.add('help');
      continue;
    }
    const m = /^--([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      if (arg.startsWith('-') && arg !== '-') return { ok: false, error: `unknown option "${arg}"` };
      if (rest.length >= positionals.max) return { ok: false, error: `unexpected argument "${arg}"` };
      rest.push(arg);
      continue;
    }
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    const spec = table[name];
    if (!spec) return { ok: false, error: `unknown flag --${name}${didYouMean(name, Object.keys(table))}` };
    if (spec.value === undefined) {
      if (inline !== undefined) return { ok: false, error: `--${name} takes no value` };
      set.add(name);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
      return { ok: false, error: `--${name} needs a value (${spec.value})` };
    if (values.has(name)) return { ok: false, error: `--${name} given twice` };
    values.set(name, value);
  }
  return { ok: true, args: { values, set, positionals: rest } };
}

/**
 * The usage line: `fieldlab start [--config FILE] [--no-watch]`.
 * @example usageLine('start', START_FLAGS) // 'fieldlab start [--config FILE] [--no-watch]'
 */
export function usageLine(command: string, table: FlagTable, positional = ''): string {
  const flags = Object.entries(table).map(([name, s]) => `[--${name}${s.value ? ` ${s.value}` : ''}]`);
  return ['fieldlab', command, ...(positional ? [positional] : []), ...flags].join(' ');
}

/**
 * One line per flag, aligned: `  --config FILE   the config to run`.
 * @example flagLines(START_FLAGS, '    ')
 */
export function flagLines(table: FlagTable, indent = '  '): string[] {
  const heads = Object.entries(table).map(([name, s]) => `--${name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(0, ...heads.map((h) => h.length));
  return Object.values(table).map((s, i) => `${indent}${heads[i]!.padEnd(width)}  ${s.help}`);
}

function didYouMean(name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return hint ? hint.replace(/"([^"]+)"/, '--$1') : '';
}

/** What a command is, for its parser, its usage line and the help. */
export interface CommandSpec {
  /** e.g. 'start', or 'rollback|pause|resume|promote|reset' in the overview. */
  readonly name: string;
  readonly flags: FlagTable;
  /** e.g. 'ROUTE' or 'FILE…'; with `positionals` how many it takes. */
  readonly positional?: string;
  readonly positionals?: number;
  readonly summary: string;
}

/**
 * Parses a command's arguments against its table. Returns the arguments, or the exit code when the
 * command is done: 0 after printing its help for `--help`, 2 after a usage error.
 * @example const a = readFlags(START, args, io); if (typeof a === 'number') return a;
 */
export function readFlags(command: CommandSpec, args: readonly string[], io: Pick<CliIo, 'out' | 'err'>): ParsedArgs | number {
  const parsed = parseFlags(args, command.flags, { max: command.positionals ?? 0 });
  if (!parsed.ok) {
    io.err(`fieldlab ${command.name}: ${parsed.error}\nusage: ${usageLine(command.name, command.flags, command.positional)}`);
    return 2;
  }
  if (parsed.args.set.has('help')) {
    io.out(commandHelp(command));
    return 0;
  }
  return parsed.args;
}

/**
 * A command's help: usage, summary and every flag.
 * @example commandHelp(START).split('\n')[0] // 'usage: fieldlab start [--config FILE] [--no-watch]'
 */
export function commandHelp(command: CommandSpec): string {
  const flags = flagLines(command.flags);
  return [
    `usage: ${usageLine(command.name, command.flags, command.positional)}`,
    '',
    command.summary,
    ...(flags.length ? ['', ...flags] : []),
  ].join('\n');
}
