/**
 * The commands of `fieldlab` and the help built from their flag tables (flags.ts), so the help
 * lists every flag every command takes. Each command lives in its own file and returns an exit
 * code (or undefined for long-running ones).
 */
import { ACTION, ACTIONS, manualCommand, runStatus, STATUS } from './control.js';
import { DEMO, parseDemoArgs } from './demo-args.js';
import { DIFFS } from './diffs-args.js';
import { EXIT_CODES } from './exit-codes.js';
import { flagLines, type CommandSpec, usageLine } from './flags.js';
import { FAULTS, runFaults } from './faults.js';
import { FLEET, runFleet } from './fleet.js';
import { FORCE_VALUE, runForceValue } from './force-value.js';
import { RESULTS, runResults } from './results.js';
import { REPLAY } from './replay-args.js';
import { runSchema, SCHEMA } from './schema.js';
import type { CliIo } from './io.js';
import { START } from './start-args.js';
import { runValidate, VALIDATE } from './validate.js';

/** Runs a command; `name` is the word it was called by (one spec serves the five manual actions). */
type Run = (args: string[], io: CliIo, name: string) => number | undefined | Promise<number | undefined>;

// The commands that load the proxy, a store or the compare engine are imported when they run: the
// help, `status` and the other admin-API commands then start in a fraction of the time.
const runStart: Run = async (args, io) => (await import('./start.js')).runStart(args, io);
const runDemo: Run = async (args, io) => {
  const bad = parseDemoArgs(args, io);
  return typeof bad === 'number' ? bad : (await import('./demo.js')).runDemo(args, io);
};
const runDiffs: Run = async (args, io) => (await import('./diffs.js')).runDiffs(args, io);
const runReplayCommand: Run = async (args, io) => (await import('./replay.js')).runReplayCommand(args, io);

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly { readonly spec: CommandSpec; readonly names: readonly string[]; readonly run: Run }[] = [
  { spec: START, names: ['start'], run: runStart },
  { spec: DEMO, names: ['demo'], run: runDemo },
  { spec: VALIDATE, names: ['validate'], run: runValidate },
  { spec: SCHEMA, names: ['schema'], run: runSchema },
  { spec: DIFFS, names: ['diffs'], run: runDiffs },
  { spec: REPLAY, names: ['replay'], run: runReplayCommand },
  { spec: STATUS, names: ['status'], run: runStatus },
  { spec: FLEET, names: ['fleet'], run: runFleet },
  { spec: RESULTS, names: ['results'], run: runResults },
  { spec: ACTION, names: ACTIONS, run: (args, io, name) => manualCommand(name)(args, io) },
  { spec: FORCE_VALUE, names: ['force-value'], run: (args, io) => runForceValue(args, io) },
  { spec: FAULTS, names: ['faults'], run: (args, io) => runFaults(args, io) },
];

/** Wraps a long usage line at flag boundaries, continuation lines indented under the command. */
function wrap(line: string, indent: string, width = 100): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/ (?=\[)/)) {
    if (current && `${current} ${word}`.length > width) {
      out.push(current);
      current = `${indent}    ${word}`;
    } else current = current ? `${current} ${word}` : `${indent}${word}`;
  }
  return [...out, current];
}

/**
 * The top-level help: every command with every flag, then signals and exit codes.
 * @example helpText().includes('--no-watch') // true
 */
export function helpText(): string {
  const blocks = COMMANDS.flatMap(({ spec }) => [
    ...wrap(usageLine(spec.name, spec.flags, spec.positional), '  '),
    `      ${spec.summary}`,
    ...flagLines(spec.flags, '        '),
  ]);
  return `fieldlab — traffic-splitting reverse proxy for experimenting in production

Usage:
${blocks.join('\n')}
  fieldlab --version
      print the version
  fieldlab --help
      this text (every command also takes --help)

Signals (start/demo): SIGHUP reloads the config; SIGTERM/SIGINT: /readyz turns 503 for drainDelay,
then in-flight requests drain (drainTimeout), exit 0.

Exit codes:
${EXIT_CODES.map((e) => `  ${e.code}  ${e.meaning}`).join('\n')}

Docs: README.md`;
}
