/**
 * The `fleet:` block: timings of fleet mode, which is on when `store:` is a postgres:// URL (every
 * process on that database is a replica of one Fieldlab). Defaults meet the documented targets:
 * failover within about `lease` + 1 s, a decision applied everywhere within a second by NOTIFY and
 * within `poll` without it.
 */
import { z } from 'zod';
import { Duration } from './schema-primitives.js';

/** Fleet timings. */
export const Fleet = z
  .strictObject({
    lease: Duration.prefault('5s').describe('Decider lease lifetime: a dead decider is replaced about this long after its last renewal'),
    poll: Duration.prefault('2s').describe('How often each replica re-reads the newest fleet decisions (fallback for a lost NOTIFY)'),
    grace: Duration.prefault('3s').describe(
      "How long the decider waits for a stalled or dead replica's evidence seconds before summing without them",
    ),
    listen: z.boolean().prefault(true).describe('LISTEN for decisions (false: polling only, e.g. behind a transaction-mode pooler)'),
  })
  .describe('Fleet mode timings (store: postgres://…)');
