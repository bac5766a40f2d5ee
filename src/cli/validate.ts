/**
 * `fieldlab validate FILE…`: checks config files without starting anything, printing each problem as
 * `file:line:col path: reason` so editors, CI logs and terminals can jump to it.
 */
import { formatConfigError, loadConfigFile } from '../config/load.js';
import { type CommandSpec, readFlags } from './flags.js';
import { plural } from './plural.js';

/** What a CLI command may touch; `out` and `err` write one line each. */
export interface ValidateIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

/** `fieldlab validate FILE…`: no flags, one or more files. */
export const VALIDATE: CommandSpec = {
  name: 'validate',
  positional: 'FILE…',
  positionals: Number.POSITIVE_INFINITY,
  summary: 'check configs without starting anything; prints file:line:col path: reason per error',
  flags: {},
};

/**
 * Validates each file. Exit codes: 0 all valid, 1 any invalid, 2 usage error.
 * @example runValidate(['config/fieldlab.yaml'], io) // prints "config/fieldlab.yaml: ok (3 routes, 4 upstreams)", returns 0
 */
export function runValidate(args: string[], io: ValidateIo): number {
  const parsed = readFlags(VALIDATE, args, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length === 0) {
    io.err('fieldlab validate: missing FILE\nusage: fieldlab validate FILE…');
    return 2;
  }
  let code = 0;
  for (const file of parsed.positionals) {
    const result = loadConfigFile(file, io.env);
    if (result.ok) {
      const routes = result.config.routes.length;
      const upstreams = Object.keys(result.config.upstreams).length;
      io.out(`${file}: ok (${plural(routes, 'route')}, ${plural(upstreams, 'upstream')})`);
    } else {
      for (const e of result.errors) io.err(formatConfigError(e));
      code = 1;
    }
  }
  return code;
}
