/**
 * The exit codes every `fieldlab` command uses, in one table: the help prints it, and a test keeps
 * README's CLI exit-code table in step with it.
 */

/** Named exit codes. */
export const EXIT = {
  /** Done as asked: a valid config, a passing gate, an applied action. */
  OK: 0,
  /** Checked and failed: an invalid config, a tripped gate, fleet warnings, a refusal of the admin API. */
  FAILURE: 1,
  /** Not understood: unknown command, flag or name, a bad value, no store or admin API to talk to. */
  USAGE: 2,
  /** Nothing to judge or to do: no data under a gate, a manual action that would change nothing. */
  NOTHING: 3,
} as const;

/**
 * What each code means, for the help and the README.
 * @example EXIT_CODES.find((e) => e.code === EXIT.NOTHING)?.meaning
 */
export const EXIT_CODES: readonly { readonly code: number; readonly meaning: string }[] = [
  { code: EXIT.OK, meaning: 'ok: the config is valid, the gate passed, the action was applied, the proxy drained cleanly' },
  {
    code: EXIT.FAILURE,
    meaning: 'failure: an invalid config, a tripped --fail-on gate, fleet warnings, the admin API refused (FL_ code printed)',
  },
  {
    code: EXIT.USAGE,
    meaning:
      'usage error: unknown command or flag, a bad value, an unknown route/shadow/endpoint, an unreadable store, an unreachable admin API',
  },
  {
    code: EXIT.NOTHING,
    meaning:
      'nothing to judge or do: diffs --fail-on found no pairs (unless --allow-empty); a manual action changed nothing (FL_NO_CHANGE)',
  },
];
