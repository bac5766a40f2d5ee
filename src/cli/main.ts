#!/usr/bin/env node
/**
 * The `fieldlab` command. Each subcommand lives in its own file and returns an exit code
 * (or undefined for long-running ones).
 */
import { manualCommand, runStatus } from './control.js';
import { runDemo } from './demo.js';
import { runDiffs } from './diffs.js';
import { runFleet } from './fleet.js';
import { runForceValue } from './force-value.js';
import { runResults } from './results.js';
import { runSchema } from './schema.js';
import { runStart, type CliIo } from './start.js';
import { runValidate } from './validate.js';
import { buildInfo } from '../telemetry/build-info.js';

const HELP = `fieldlab — traffic-splitting reverse proxy for experimenting in production

Usage:
  fieldlab start [--config FILE] [--no-watch] [--workers N|auto]
                                   run the proxy (default config/fieldlab.yaml);
                                   --no-watch: reload only on SIGHUP / POST /reload;
                                   --workers: N processes share the port (auto: one per core)
  fieldlab demo [--users N] [--resume]
                                   the proxy with bundled demo services (what \`npm start\` does);
                                   --users: simulated users in the self-check (default 500);
                                   --resume: keep the previous run's store (default: start fresh)
  fieldlab validate FILE...        check configs; prints file:line:col path: reason per error
  fieldlab schema                  print the config's JSON Schema (for editor autocompletion)
  fieldlab diffs [--config FILE | --store URL] [--route R] [--shadow S] [--endpoint E]
                 [--since T] [--until T] [--json] [--html FILE] [--examples N]
                 [--offset N] [--limit N] [--fields N]
                 [--fail-on RATE [--strict] [--allow-empty]]
                                   shadow-diff report from the store; CI gate (fieldlab diffs --help)
  fieldlab status [--route R] [--json]
                                   guardrails: each variant's weight, phase and step, recent decisions
  fieldlab fleet [--json]          fleet mode (store: postgres://…): every replica, the decision each
                                   has applied, who decides; exit 1 on warnings (config digests differ)
  fieldlab results ROUTE [--json]  experiment results: goals, lift with an anytime-valid interval,
                                   vital signs, SRM/leak alarms (exit 2: unknown route)
  fieldlab rollback|pause|resume|promote|reset ROUTE [--arm ARM] [--reason TEXT] [--actor NAME] [--force]
                                   manual guardrail actions on a running Fieldlab
      status, results and the actions reach the admin API:
        --admin URL                the admin API (default: admin.listen of --config FILE)
        --config FILE              the config to read admin.listen and tokens from
        --token TOKEN              bearer token (or FIELDLAB_ADMIN_TOKEN); status reads with the
                                   read token, actions need the write token
  fieldlab force-value ROUTE ARM [--ttl 1h] [--config FILE]
                                   print a signed QA override value for a route whose force: has
                                   a secret (from its force.secret, else FIELDLAB_FORCE_SECRET)
  fieldlab --version               print the version
  fieldlab --help                  this text

Signals (start/demo): SIGHUP reloads the config; SIGTERM/SIGINT: /readyz turns 503 for drainDelay,
then in-flight requests drain (drainTimeout), exit 0.
Exit codes: 0 ok, 1 failure (invalid config, gate tripped), 2 usage error.
Docs: README.md`;

const commands: Record<string, (args: string[], io: CliIo) => number | undefined | Promise<number | undefined>> = {
  start: runStart,
  demo: runDemo,
  validate: runValidate,
  schema: runSchema,
  status: runStatus,
  rollback: manualCommand('rollback'),
  pause: manualCommand('pause'),
  resume: manualCommand('resume'),
  promote: manualCommand('promote'),
  reset: manualCommand('reset'),
  diffs: runDiffs,
  fleet: runFleet,
  'force-value': runForceValue,
  results: runResults,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const io: CliIo = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`), env: process.env };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    process.exitCode = name ? 0 : 2;
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`fieldlab ${buildInfo().version}`);
    return;
  }
  const command = commands[name];
  if (!command) {
    io.err(`fieldlab: unknown command "${name}"\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const code = await command(args, io);
  if (code !== undefined) process.exitCode = code;
}

void main(process.argv.slice(2));
