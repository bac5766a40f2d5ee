/** The flags of `fieldlab demo`, apart from demo.ts (which starts the proxy and its services). */
import type { CommandSpec } from './flags.js';

/** `fieldlab demo`: its flags. */
export const DEMO: CommandSpec = {
  name: 'demo',
  summary: 'the proxy with bundled demo services and a self-check (what `npm start` does)',
  flags: {
    users: { value: 'N', help: 'simulated users in the self-check, 1 to 100000 (default 500)' },
    resume: { help: "keep the previous run's store (default: start fresh)" },
  },
};
