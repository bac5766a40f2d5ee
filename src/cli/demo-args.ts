/** The flags of `fieldlab demo`, apart from demo.ts (which starts the proxy and its services). */
import { type CommandSpec, readFlags } from './flags.js';
import type { CliIo } from './io.js';

/** `fieldlab demo`: its flags. */
export const DEMO: CommandSpec = {
  name: 'demo',
  summary: 'the proxy with bundled demo services and a self-check (what `npm start` does)',
  flags: {
    users: { value: 'N', help: 'simulated users in the self-check, 1 to 100000 (default 500)' },
    resume: { help: "keep the previous run's store (default: start fresh)" },
  },
};

/**
 * The demo's flags checked, or the exit code after saying why — before anything is loaded, so a
 * typo is answered at once.
 * @example parseDemoArgs(['--users', '50'], io) // { users: 50, resume: false }
 */
export function parseDemoArgs(args: string[], io: CliIo): number | { users: number; resume: boolean } {
  const parsed = readFlags(DEMO, args, io);
  if (typeof parsed === 'number') return parsed;
  const usersText = parsed.values.get('users') ?? '500';
  const users = /^\d{1,6}$/.test(usersText) ? Number(usersText) : Number.NaN;
  if (!(users >= 1 && users <= 100_000)) {
    io.err(`fieldlab demo: invalid --users "${usersText}" (a whole number, 1 to 100000)\nusage: fieldlab demo [--users N] [--resume]`);
    return 2;
  }
  return { users, resume: parsed.set.has('resume') };
}
