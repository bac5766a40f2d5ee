/**
 * `fieldlab validate FILE…`: checks config files without starting anything, printing each problem as
 * `file:line:col path: reason` so editors, CI logs and terminals can jump to it.
 */
import { formatConfigError, loadConfigFile } from '../config/load.js';

/** What a CLI command may touch; `out` and `err` write one line each. */
export interface ValidateIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

const USAGE = 'usage: fieldlab validate FILE [FILE…]';

/**
 * Validates each file. Exit codes: 0 all valid, 1 any invalid, 2 usage error.
 * @example runValidate(['config/fieldlab.yaml'], io) // prints "config/fieldlab.yaml: ok (3 routes, 4 upstreams)", returns 0
 */
export function runValidate(args: string[], io: ValidateIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE);
    return 0;
  }
  const unknown = args.find((a) => a.startsWith('-'));
  if (args.length === 0 || unknown !== undefined) {
    io.err(
      unknown === undefined ? `fieldlab validate: missing FILE\n${USAGE}` : `fieldlab validate: unknown option "${unknown}"\n${USAGE}`,
    );
    return 2;
  }
  let code = 0;
  for (const file of args) {
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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
