/**
 * Structured JSON logs (pino). Writes are asynchronous so logging never blocks the event loop on a
 * slow stdout, and only the high-volume lines (access, rejected requests) are batched: they are
 * flushed at least every `flushMs` (250 ms). Every other line — startup, reload, decision, warning,
 * error — is flushed as it is written, so nothing of importance sits in a buffer when the process
 * is killed (kill -9 included: the write has been handed to the kernel).
 *
 * Lines are encoded into a 64 KiB buffer as they are written and handed to pino's destination
 * (sonic-boom, in buffer mode) once per full buffer: sonic-boom's string mode appends every write to
 * one growing string and measures that string's byte length each time, a cost that grows with the
 * batch (≈ several µs per access line at 4 KiB batches), so it gets one write per batch instead of
 * one per line. Encoding at once rather than keeping the strings until the batch is full matters
 * too: a line is a rope of its fields' pieces, and one kept for ~250 lines survived the young
 * generation's collections and was then joined from cold memory (≈ 1 µs per line on a busy proxy,
 * the largest single part of the access log's cost; round 6 of the README's performance notes).
 * 64 KiB rather than 4 KiB because every write is a round trip through libuv's thread pool (a
 * wake-up of a worker thread and one of the event loop): at 4 KiB (a dozen lines) those wake-ups cost
 * about 5 µs per access line on a busy proxy. On a pipe
 * or socket (a container's stdout, shared by a group's workers) pieces stay within PIPE_BUF so no
 * write is split and interleaved with another process's (see PIPE_BUF below).
 *
 * The access line itself skips pino's per-field walk (`lineWriter`, telemetry/access-line.ts).
 */
import { fstatSync, writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { isoTime } from './log-time.js';

export type { Logger };

/** `type` values of the lines that may wait for the periodic flush; everything else is written at once. */
export const BATCHED_LOG_TYPES: ReadonlySet<string> = new Set(['access', 'client_error']);

/** How often batched lines are flushed at the latest. */
export const LOG_FLUSH_MS = 250;

/**
 * Creates the process logger.
 * @example const log = createLogger('info'); log.info({ route: 'checkout' }, 'reloaded')
 */
export function createLogger(level: string, dest: number | string = 1, flushMs = LOG_FLUSH_MS): Logger {
  const atomic = sharedPipe(dest);
  const stream = new LineBatch(
    // Buffer mode: its types only know strings.
    pino.destination({
      dest,
      sync: false,
      minLength: MIN_WRITE,
      contentMode: 'buffer',
      maxWrite: atomic ? PIPE_BUF : MAX_WRITE,
      maxLength: MAX_BUFFERED,
      retryEAGAIN,
    }) as unknown as Destination,
    atomic,
  );
  const flush = () => stream.flush();
  // An idle logger makes no write calls: the timer flushes only when a batched line waits.
  setInterval(() => stream.pending && flush(), flushMs).unref();
  return pino(
    {
      level,
      base: { svc: 'fieldlab' },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method, lvl) {
          method.apply(this, args);
          const first = args[0] as { type?: unknown } | undefined;
          const bulk = lvl < 40 && typeof first === 'object' && first !== null && BATCHED_LOG_TYPES.has(String(first.type));
          if (bulk) stream.pending = true;
          else flush();
        },
      },
    },
    stream,
  );
}

/** About 64 KiB of lines per write to a file. */
const BATCH_BYTES = 64 * 1024;

/**
 * sonic-boom writes what it is handed at once (minLength 0: the batching is LineBatch's), at most
 * MAX_WRITE per call, so a batch plus what queued behind a write in flight goes out as one. With a
 * minLength, a flush asked while a write was in flight was lost (sonic-boom returns early), and what
 * was left after that write waited below minLength for some later line: a warning could sit unwritten.
 */
const MIN_WRITE = 0;
const MAX_WRITE = 4 * BATCH_BYTES;

/**
 * Linux writes at most this many bytes to a pipe or socket atomically (POSIX PIPE_BUF). Workers of a
 * group share the primary's stdout, and under Docker or Kubernetes stdout is a pipe: a larger write can
 * be split by the kernel and interleaved with a sibling's, tearing lines into invalid JSON. On a pipe or
 * socket, lines are therefore handed in pieces of whole lines of at most PIPE_BUF bytes, and sonic-boom
 * never merges pieces past it (only a single line longer than PIPE_BUF can still be split). A file
 * (regular or not a pipe) keeps the 64 KiB batches: the kernel serialises writes to one open file.
 */
const PIPE_BUF = 4096;

/** True when `dest` is an open pipe or socket (fd 1 under a container runtime, `| tee`, a shared stdout). */
function sharedPipe(dest: number | string): boolean {
  if (typeof dest !== 'number') return false;
  try {
    const st = fstatSync(dest);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/**
 * At most this much waits in the destination while it cannot write (a full disk): later lines are
 * dropped (sonic-boom's `maxLength`), so a stuck log never grows the heap without bound.
 */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** What LineBatch needs of pino's destination. */
interface Destination {
  /** The open file descriptor, -1 until a path is open (sonic-boom has it; its types don't say so). */
  readonly fd?: number;
  write(data: Buffer): boolean;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
  on(event: 'error', fn: (err?: NodeJS.ErrnoException) => void): unknown;
  /** Bytes written by one write call. */
  on(event: 'write', fn: (n: number) => void): unknown;
  /** A piece refused past `maxLength` (never written). */
  on(event: 'drop', fn: (data: Buffer) => void): unknown;
}

/** Every logger's batch, weakly held, for one shared exit listener (no listener per logger). */
const liveBatches = new Set<WeakRef<LineBatch>>();
const forget = new FinalizationRegistry<WeakRef<LineBatch>>((ref) => liveBatches.delete(ref));
let exitHooked = false;

function watchExit(batch: LineBatch): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', exitAll);
  }
  const ref = new WeakRef(batch);
  liveBatches.add(ref);
  forget.register(batch, ref);
}

function exitAll(): void {
  exiting();
  for (const ref of liveBatches) ref.deref()?.exit();
}

function exiting(): void {
  if (exitDeadline === Number.POSITIVE_INFINITY) exitDeadline = Date.now() + EXIT_WRITE_MS;
}

/**
 * Set when the process exits: past it, a full pipe (a stopped reader) is given up on. sonic-boom's
 * own exit flush retried EAGAIN forever, so such an exit hung; while running, EAGAIN is retried
 * (and what can't be written is bounded by MAX_BUFFERED).
 */
let exitDeadline = Number.POSITIVE_INFINITY;
const retryEAGAIN = (): boolean => Date.now() < exitDeadline;

/**
 * The stream pino writes to: lines are encoded into a buffer as they come and wait there until it is
 * full (~64 KiB; on a pipe: whole lines up to PIPE_BUF bytes) or a flush, then go to the destination
 * as one piece, in order. On exit what waits is written synchronously.
 */
class LineBatch {
  /** A batched line waits (set by the writer, cleared by a flush): what the flush timer checks. */
  pending = false;
  readonly #dest: Destination;
  /** On a pipe or socket: sizes are UTF-8 bytes and a handed piece stays within PIPE_BUF. */
  readonly #atomic: boolean;
  readonly #limit: number;
  /**
   * Where lines are encoded. Handed pieces are views of it, so later lines go after them and a fresh
   * buffer comes only when a line does not fit: a piece per warning line while the disk is full would
   * otherwise hold a whole buffer each (hundreds of MiB below the 8 MiB cap, found by attacking this).
   */
  #buf: Buffer | undefined;
  /** Where the waiting bytes start in #buf (what is before was handed and may still be in flight). */
  #start = 0;
  /** Bytes waiting in #buf. */
  #size = 0;
  /** Bytes handed to the destination and not yet written (nor dropped by it). */
  #unwritten = 0;
  /** Called once nothing handed is left unwritten (see settle). */
  #settled: (() => void)[] = [];
  /** Set by a failed write (a full disk), cleared by a good one: exit writes are skipped meanwhile. */
  #failing = false;

  constructor(dest: Destination, atomic: boolean) {
    this.#dest = dest;
    this.#atomic = atomic;
    this.#limit = atomic ? PIPE_BUF : BATCH_BYTES;
    this.#survive(dest);
    watchExit(this);
  }

  /**
   * A write error (ENOSPC on a full disk, EIO) must not crash the proxy: pino re-emits a non-EPIPE
   * error to no listener, and the exit flush after that crash looped forever (sonic-boom's
   * flushSync retries every error but EAGAIN without end), so the process never exited. The error
   * is said once on stderr; while writes fail, the exit flushes (pino's and ours) are skipped and
   * what waits is lost. A later successful write clears the state.
   */
  #survive(dest: Destination): void {
    dest.on('error', (err) => {
      if (!this.#failing)
        process.stderr.write(`fieldlab: log write failed (${err?.code ?? String(err)}); lines are dropped while it fails\n`);
      this.#failing = true;
      // What failed is not coming: nobody waits for it (a later write may still report it: clamped).
      this.#written(this.#unwritten);
    });
    dest.on('write', (n) => {
      this.#failing = false;
      this.#written(n);
    });
    dest.on('drop', (data) => this.#written(data.length));
    const flushSync = dest.flushSync.bind(dest);
    dest.flushSync = () => {
      // Only exits flush synchronously (pino's exit hook, ours): from here a full pipe is waited on
      // for EXIT_WRITE_MS at most.
      exiting();
      if (!this.#failing) flushSync();
    };
  }

  /**
   * The process is exiting: what waits is written now, synchronously — first what sonic-boom holds
   * (older), then this batch with our own writes. Handing the batch to sonic-boom would start an
   * asynchronous write that the exiting process never finishes (the last lines were lost on a pipe).
   */
  exit(): void {
    this.#guard(() => this.#dest.flushSync());
    const data = this.#take();
    const fd = this.#dest.fd;
    // What waits is one piece #hand would have written (on a pipe within PIPE_BUF: write() hands at it).
    if (data !== undefined && !this.#failing && typeof fd === 'number' && fd >= 0) writeAllSync(fd, data, exitDeadline);
  }

  write(line: string): boolean {
    // On a pipe the exact size decides where a piece ends; elsewhere the worst case (3 bytes per
    // UTF-16 unit) saves a pass over the line: a buffer may be handed a few lines early.
    const n = this.#atomic ? Buffer.byteLength(line) : 3 * line.length;
    // A line that would take the piece past its limit starts the next piece.
    if (this.#size + n > this.#limit) this.#hand();
    if (n > this.#limit) {
      // Longer than a piece by itself (a huge error line): handed alone, as it is.
      this.#give(Buffer.from(line));
      return true;
    }
    if (this.#buf === undefined || this.#start + this.#size + n > this.#buf.length) {
      this.#hand();
      this.#buf = Buffer.allocUnsafe(this.#limit);
      this.#start = 0;
    }
    this.#size += this.#buf.write(line, this.#start + this.#size, 'utf8');
    return true;
  }

  /** Hands what waits to the destination and asks it to write (pino's `logger.flush(cb)` lands here too). */
  flush(cb?: (err?: Error) => void): void {
    this.pending = false;
    this.#hand();
    this.#guard(() => this.#dest.flush(cb));
  }

  #hand(): void {
    const data = this.#take();
    if (data !== undefined) this.#give(data);
  }

  #give(data: Buffer): void {
    this.#unwritten += data.length;
    this.#guard(() => this.#dest.write(data));
  }

  #written(n: number): void {
    this.#unwritten = Math.max(0, this.#unwritten - n);
    if (this.#unwritten > 0) return;
    const waiting = this.#settled;
    this.#settled = [];
    for (const fn of waiting) fn();
  }

  /**
   * Hands what waits and resolves once the destination has written it all, or after `ms`, or at once
   * while writes fail. For a clean exit: what an asynchronous write still holds when the process exits
   * is written last by libuv, after what the exit flush writes synchronously, so lines came out of order
   * (seen with the thread pool busy, as DNS, zlib or crypto can keep it).
   */
  settle(ms: number): Promise<void> {
    this.flush();
    if (this.#unwritten <= 0 || this.#failing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#settled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * What waits, and the batch emptied; undefined when nothing waits. The piece is a view: the bytes
   * before `#start` are never written again (the destination may hold them until its write completes).
   */
  #take(): Buffer | undefined {
    if (this.#size === 0 || this.#buf === undefined) return undefined;
    const data = this.#buf.subarray(this.#start, this.#start + this.#size);
    this.#start += this.#size;
    this.#size = 0;
    return data;
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch {
      // Destroyed at exit (or not open yet at a very early exit): nothing more can be written.
    }
  }
}

/**
 * Waits until what `log` has logged is written (at most `ms`): call before `process.exit` on a clean stop.
 * Resolves at once for a logger not made by createLogger.
 * @example await app.stop(); await settleLog(app.log); process.exit()
 */
export function settleLog(log: Logger, ms = EXIT_WRITE_MS): Promise<void> {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return stream instanceof LineBatch ? stream.settle(ms) : Promise.resolve();
}

/** Writes lines built by the caller into a logger's batch; see `lineWriter`. */
export interface LineWriter {
  /** False while the logger's level filters out `info`: build nothing then. */
  infoEnabled(): boolean;
  /**
   * One batched `info` line: `fields` is the JSON text of the fields after the logger's own
   * (`,"type":"access",…`), `msg` the message (plain ASCII). The line waits for the batch like an
   * access line logged through pino.
   */
  batchedInfo(fields: string, msg: string): void;
}

const INFO = 30;
const writers = new WeakMap<Logger, LineWriter | null>();

/**
 * A writer for pre-built lines into `log`'s batch, with the same prefix pino writes (level, time,
 * bindings, child bindings included); undefined for a logger not made by createLogger (tests' own
 * pino instances), which then gets the line through pino as before.
 * @example const w = lineWriter(log); if (w?.infoEnabled()) w.batchedInfo(',"type":"access","rid":"r1"', 'access')
 */
export function lineWriter(log: Logger): LineWriter | undefined {
  let w = writers.get(log);
  if (w === undefined) {
    w = makeWriter(log) ?? null;
    writers.set(log, w);
  }
  return w ?? undefined;
}

function makeWriter(log: Logger): LineWriter | undefined {
  const held = log as unknown as Record<symbol, unknown>;
  const stream = held[pino.symbols.streamSym];
  if (!(stream instanceof LineBatch)) return undefined;
  return {
    infoEnabled: () => log.levelVal <= INFO,
    batchedInfo(fields, msg) {
      // Read per line: bindings can change (`setBindings`) and cost a property read.
      const bindings = held[pino.symbols.chindingsSym] as string;
      stream.write(`{"level":"info"${isoTime()}${bindings}${fields},"msg":"${msg}"}\n`);
      stream.pending = true;
    },
  };
}

/**
 * How long the exit writes wait for a full pipe to take their data before giving up (the reader may be
 * stopped), and how long a clean stop waits for the log first (settleLog): a stop can take twice this
 * after the drain.
 */
export const EXIT_WRITE_MS = 2000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `data` to `fd` synchronously, waiting out EAGAIN (a non-blocking pipe that is full) until
 * `until`; false when it gives up or the write fails (EPIPE: no reader), so exit never hangs.
 */
function writeAllSync(fd: number, data: Buffer, until: number): boolean {
  let buf = data;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > until) return false;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
  return true;
}
