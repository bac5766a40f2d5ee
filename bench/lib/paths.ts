/** Where the compiled bench and Fieldlab live, resolved from this file so the cwd doesn't matter. */
import { fileURLToPath } from 'node:url';

/** dist/bench/ — the compiled upstream and peer scripts. */
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** The repository root (dist/bench/lib/ → ../../../). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Fieldlab's CLI entry as built by `tsc -p tsconfig.json`. */
export const FIELDLAB_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
