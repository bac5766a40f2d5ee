// Access lines wait in the logger's batch (telemetry/logger.ts); nothing may be lost or reordered
// on the way: not by a non-batched line, not by the timer, not at process exit.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { tempDir } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

interface Line {
  type?: string;
  n?: number;
  msg: string;
  time: string;
  level: string;
  svc: string;
}

const read = (file: string): Line[] =>
  (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe('logger batching', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('keeps every line and their order; a warning flushes the access lines before it', async () => {
    const file = join(tmp.dir, 'order.log');
    const log = createLogger('info', file, 60_000); // no timer flush within the test
    for (let n = 0; n < 500; n++) log.info({ type: 'access', n, path: `/p/${'é'.repeat(n % 7)}` }, 'access');
    log.warn({ n: 500 }, 'after the access lines');
    await waitFor(() => read(file).length === 501);
    const lines = read(file);
    expect(lines.map((l) => l.n)).toEqual(Array.from({ length: 501 }, (_, i) => i));
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: 'after the access lines', svc: 'fieldlab' });
    for (const l of lines) expect(new Date(l.time).toISOString()).toBe(l.time);
  });

  it("keeps lines larger than a batch (64 KiB) and than sonic-boom's largest write (256 KiB) whole and in order", async () => {
    const file = join(tmp.dir, 'big.log');
    const log = createLogger('info', file, 60_000);
    const sizes = [10, 5000, 10, 40_000, 3, 4096, 70_000, 1, 300_000, 2];
    sizes.forEach((size, n) => log.info({ type: 'access', n, pad: 'é'.repeat(size) }, 'access'));
    log.warn({ n: sizes.length }, 'last');
    await waitFor(() => read(file).length === sizes.length + 1);
    const lines = read(file) as (Line & { pad?: string })[];
    expect(lines.map((l) => l.n)).toEqual(Array.from({ length: sizes.length + 1 }, (_, i) => i));
    expect(lines.slice(0, -1).map((l) => l.pad?.length)).toEqual(sizes);
  });

  it('holds about what waits while the destination cannot write, not a batch buffer per line (full disk)', () => {
    // Every warning is handed at once; each used to be a view of its own 64 KiB buffer, so 4,000 of them
    // (0.7 MB of text) held 250 MiB while /dev/full refused them.
    const script = `import(${JSON.stringify(resolve('dist/src/telemetry/logger.js'))}).then(async ({ createLogger }) => {
      const log = createLogger('info', '/dev/full', 60000);
      await new Promise((r) => setTimeout(r, 200));
      const before = process.memoryUsage().arrayBuffers;
      for (let n = 0; n < 4000; n++) {
        log.warn({ n, pad: 'x'.repeat(100) }, 'upstream failed');
        if (n % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 300));
      console.log(JSON.stringify({ retained: process.memoryUsage().arrayBuffers - before }));
      process.exit(0);
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const { retained } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { retained: number };
    expect(retained / 2 ** 20).toBeLessThan(16);
  });

  it('keeps the order of the last lines on a clean stop while a write is in flight (settleLog before exit)', () => {
    // One thread-pool thread, kept busy: the first batch's asynchronous write waits behind it. Exiting
    // then wrote the later lines synchronously and libuv the first batch last (0, 1, 2 came after 205).
    const file = join(tmp.dir, 'inflight.log');
    const script = `import(${JSON.stringify(resolve('dist/src/telemetry/logger.js'))}).then(({ createLogger, settleLog }) => {
      const log = createLogger('info', ${JSON.stringify(file)}, 60000);
      setTimeout(async () => {
        require('node:crypto').pbkdf2('x', 'y', 300000, 32, 'sha256', () => {});
        for (let n = 0; n < 2000; n++) log.info({ type: 'access', n, pad: 'x'.repeat(200) }, 'access');
        log.warn({ n: 2000 }, 'stopped');
        await settleLog(log, 20000);
        process.exit(0);
      }, 100);
    });`;
    const r = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const ns = read(file).map((l) => l.n);
    expect(ns).toEqual(Array.from({ length: 2001 }, (_, i) => i));
  });

  it('writes a small batch by the flush timer', async () => {
    const file = join(tmp.dir, 'timer.log');
    const log = createLogger('info', file, 50);
    log.info({ type: 'access', n: 1 }, 'access');
    await waitFor(() => read(file).length === 1);
    expect(read(file)[0]).toMatchObject({ type: 'access', n: 1 });
  });

  it('writes what waits in the batch when the process exits', () => {
    const file = join(tmp.dir, 'exit.log');
    const logger = resolve('dist/src/telemetry/logger.js');
    const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => {
      const log = createLogger('info', ${JSON.stringify(file)}, 60000);
      setTimeout(() => { for (let n = 0; n < 3; n++) log.info({ type: 'access', n }, 'access'); process.exit(0); }, 100);
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(read(file).map((l) => l.n)).toEqual([0, 1, 2]);
  });

  // A full disk (/dev/full answers every write with ENOSPC): sonic-boom's write error used to be
  // uncaught (crash) and its exit flushSync retried ENOSPC forever, so the process never exited.
  it('survives a full disk and still exits', () => {
    const logger = resolve('dist/src/telemetry/logger.js');
    const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => {
      const log = createLogger('info', '/dev/full', 20);
      for (let n = 0; n < 200; n++) log.info({ type: 'access', n, pad: 'x'.repeat(100) }, 'access');
      log.warn('flushed at once');
      setTimeout(() => { log.info({ type: 'access', n: 201 }, 'access'); console.log('alive'); process.exit(0); }, 300);
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('alive');
  });
});
