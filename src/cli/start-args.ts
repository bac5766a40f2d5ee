/** The flags of `fieldlab start`, apart from start.ts so the help lists them without loading the proxy. */
import type { CommandSpec } from './flags.js';

/** `fieldlab start`: its flags (add a row to add a flag; the parser, usage and --help follow). */
export const START: CommandSpec = {
  name: 'start',
  summary: 'run the proxy until SIGTERM/SIGINT',
  flags: {
    config: { value: 'FILE', help: 'the config to run (default config/fieldlab.yaml)' },
    'no-watch': { help: 'reload only on SIGHUP or POST /reload, not when the file changes' },
    workers: { value: 'N|auto', help: "N processes share the port (auto: one per core); default: the config's workers:" },
  },
};
