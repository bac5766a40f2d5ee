/**
 * The `workers:` key: how many processes serve the listening port (every core). 1 is one process,
 * the default and the code path of a Fieldlab without workers; `auto` is one per core
 * (`os.availableParallelism()`). `fieldlab start --workers` overrides it.
 */
import { z } from 'zod';

/** Most workers one Fieldlab may run (a typo like 8000 is an error, not a fork bomb). */
export const MAX_WORKERS = 256;

/** Worker processes: a count or `auto`. */
export const Workers = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)])
  .describe('Processes serving the listening port: 1 (one process), N, or auto (one per core); restart to change');
