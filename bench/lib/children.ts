/** Every process the bench starts goes through here, so one exit hook can always kill all of them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A spawned child with its recent output kept for error messages. */
export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<string>;
  /** The last few KiB of stdout+stderr, for "failed to start" reports. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const TAIL_BYTES = 4096;

/**
 * Spawns `node <args>` with piped stdio (stdout to `stdoutFd` when given). stdin stays open: our own children exit when it closes, so even a
 * SIGKILLed parent leaves nothing behind.
 *
 * @example
 * const upstream = spawnNode('upstream', [fileURLToPath(new URL('../upstream.js', import.meta.url))]);
 */
export function spawnNode(name: string, args: string[], cwd?: string, stdoutFd?: number): Child {
  // A file descriptor for stdout keeps a chatty child (access logs) from costing the bench process.
  const stdio = ['pipe', stdoutFd ?? 'pipe', 'pipe'] as const;
  const proc = spawn(process.execPath, args, { cwd, stdio: [...stdio], env: { ...process.env, NODE_ENV: 'production' } });
  live.add(proc);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.stdin?.on('error', () => {}); // EPIPE when the child exits first is expected
  const exited = new Promise<string>((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve(signal ?? String(code));
    });
    proc.on('error', (err) => {
      live.delete(proc);
      keep(Buffer.from(`spawn error: ${err.message}\n`));
      resolve('spawn-error');
    });
  });
  return {
    name,
    proc,
    exited,
    tail: () => tail.trim(),
    async stop(graceMs = 3000) {
      if (!live.has(proc)) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Resolves with the port from the child's first `PORT <n>` stdout line; rejects if it exits or stays
 * silent past `timeoutMs`, so a broken peer is reported instead of hanging the run.
 */
export function waitForPortLine(child: Child, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdout = child.proc.stdout;
    if (!stdout) return reject(new Error(`${child.name}: no stdout`));
    const lines = createInterface({ input: stdout });
    const finish = (err: Error | undefined, port?: number): void => {
      clearTimeout(timer);
      lines.close();
      stdout.resume(); // keep draining after readline lets go, or a chatty child blocks on a full pipe
      if (err) reject(err);
      else resolve(port!);
    };
    const timer = setTimeout(() => finish(new Error(`${child.name}: no PORT line within ${timeoutMs} ms\n${child.tail()}`)), timeoutMs);
    lines.on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line.trim());
      if (m) finish(undefined, Number(m[1]));
    });
    void child.exited.then((how) => finish(new Error(`${child.name} exited (${how}) before announcing a port\n${child.tail()}`)));
  });
}

/** SIGKILLs every child still alive; synchronous, so it is safe inside an 'exit' handler. */
export function killAll(): void {
  for (const proc of live) proc.kill('SIGKILL');
  live.clear();
}

/**
 * Kills all children on normal exit, SIGINT/SIGTERM and crashes, and arms a hard deadline so the bench
 * always stops by itself even if a peer or autocannon wedges.
 */
export function installCleanup(deadlineMs: number): void {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children\n`);
      killAll();
      process.exit(130);
    });
  }
  const crash = (err: unknown): void => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  setTimeout(() => crash(new Error(`hard deadline of ${Math.round(deadlineMs / 1000)} s exceeded`)), deadlineMs).unref();
}
