#!/usr/bin/env node
/** The `fieldlab` entry point: finds the command (commands.ts) and sets the exit code it returns. */
import { buildInfo } from '../telemetry/build-info.js';
import { COMMANDS, helpText } from './commands.js';
import type { CliIo } from './io.js';

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const io: CliIo = {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    // Waits for the pipe to drain: a 1 GB export piped into a slow reader never buffers in memory.
    write: (chunk) => new Promise<void>((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve))),
    env: process.env,
  };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    process.exitCode = name ? 0 : 2;
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`fieldlab ${buildInfo().version}`);
    return;
  }
  const command = COMMANDS.find((c) => c.names.includes(name));
  if (!command) {
    io.err(`fieldlab: unknown command "${name}"\n\n${helpText()}`);
    process.exitCode = 2;
    return;
  }
  const code = await command.run(args, io, name);
  if (code !== undefined) process.exitCode = code;
}

void main(process.argv.slice(2));
