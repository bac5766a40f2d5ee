/**
 * A bounded sender over an IPC channel. Node buffers every `send` in memory until the other process
 * reads it, without limit; a stalled peer would grow that buffer forever. Here at most `max`
 * messages may be in the channel unwritten: beyond that a message is dropped and counted, and the
 * caller never waits (the request path never sends anything itself; timers do).
 */

/** The raw send of `process.send` / `worker.send`: `done` is called once the message is written. */
export type RawSend<M> = (message: M, done: (err: Error | null) => void) => boolean;

/** A bounded channel. */
export interface Channel<M> {
  /** Hands `m` to the channel; false when it was dropped (channel full or closed) and counted. */
  send(m: M): boolean;
  /** Messages accepted whose write has not completed. */
  pending(): number;
  /** Messages dropped so far (full or closed). */
  dropped(): number;
  /** Resolves once every accepted message is written (or failed). */
  idle(): Promise<void>;
}

/**
 * @example const ch = createChannel((m, done) => process.send!(m, undefined, {}, done), { max: 256 })
 */
export function createChannel<M>(raw: RawSend<M>, opts: { max: number }): Channel<M> {
  let inFlight = 0;
  let dropped = 0;
  let waiters: (() => void)[] = [];
  const settle = () => {
    inFlight--;
    if (inFlight === 0) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };
  return {
    send(m) {
      if (inFlight >= opts.max) {
        dropped++;
        return false;
      }
      inFlight++;
      let settled = false;
      const done = (err: Error | null) => {
        if (settled) return;
        settled = true;
        if (err) dropped++;
        settle();
      };
      try {
        raw(m, done);
      } catch {
        // A closed channel throws (ERR_IPC_CHANNEL_CLOSED) instead of calling back.
        done(new Error('channel closed'));
        return false;
      }
      return true;
    },
    pending: () => inFlight,
    dropped: () => dropped,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
