// Vitest config lives under test/ to keep the top level to the files users need.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    // Hang guards, not speed limits: real processes on a busy 2-core box can take tens of seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One fork more than cores: most files wait on real sockets, timers and child processes, so a
    // third fork on 2 cores fills the idle time (measured: the suite 8.5 min instead of 12, CPU 146%).
    maxWorkers: availableParallelism() + 1,
    minWorkers: 1,
    reporters: ['default'],
  },
});
