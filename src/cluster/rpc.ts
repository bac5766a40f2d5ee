/**
 * Calls from a worker to the primary over the bounded channel, matched to their replies by id. At
 * most `max` calls wait at once (beyond that a call fails at once with FL_WORKER_IPC, dropped and
 * counted); a call unanswered after `timeoutMs` fails the same way, so nothing waits forever on a
 * primary that is gone. Only timers and admin-side work make calls; the request path never does.
 */
import { FL_WORKER_IPC, FieldlabError } from '../errors.js';
import type { Channel } from './channel.js';
import type { PrimaryMessage, WorkerMessage } from './protocol.js';

/** The worker's side of the store calls. */
export interface RpcClient {
  /** Runs `op` with `args` in the primary; rejects with FL_WORKER_IPC when dropped, timed out or closed. */
  call(op: string, args: readonly unknown[]): Promise<unknown>;
  /** Hands a `store-reply` from the primary to its caller (unknown ids are ignored: a late reply). */
  reply(m: Extract<PrimaryMessage, { t: 'store-reply' }>): void;
  /** Fails every waiting call (the primary went away). */
  close(why: string): void;
  /** Calls waiting now, and dropped or failed so far. */
  stats(): { waiting: number; dropped: number; timedOut: number };
  /** Resolves once no call is waiting. */
  idle(): Promise<void>;
}

interface Waiting {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * @example const rpc = createRpcClient(channel, { max: 1024, timeoutMs: 10_000 }); await rpc.call('diffs.write', [batch])
 */
export function createRpcClient(channel: Channel<WorkerMessage>, opts: { max: number; timeoutMs: number }): RpcClient {
  const waiting = new Map<number, Waiting>();
  let next = 1;
  let dropped = 0;
  let timedOut = 0;
  let closed: string | undefined;
  let idlers: (() => void)[] = [];
  const fail = (why: string) => new FieldlabError(FL_WORKER_IPC, `store call not run by the primary: ${why}`);
  const finish = (id: number) => {
    const w = waiting.get(id);
    if (!w) return undefined;
    clearTimeout(w.timer);
    waiting.delete(id);
    if (waiting.size === 0) {
      const f = idlers;
      idlers = [];
      for (const g of f) g();
    }
    return w;
  };
  return {
    call(op, args) {
      if (closed !== undefined) return Promise.reject(fail(closed));
      if (waiting.size >= opts.max) {
        dropped++;
        return Promise.reject(fail(`${opts.max} calls already waiting`));
      }
      const id = next++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          timedOut++;
          finish(id)?.reject(fail(`no reply within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
        timer.unref();
        waiting.set(id, { resolve, reject, timer });
        if (!channel.send({ t: 'store', id, op, args, deadline: Date.now() + opts.timeoutMs })) {
          dropped++;
          finish(id)?.reject(fail('the channel to the primary is full or closed'));
        }
      });
    },
    reply(m) {
      const w = finish(m.id);
      if (!w) return;
      if (m.ok) w.resolve(m.value);
      else w.reject(Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
    },
    close(why) {
      closed = why;
      for (const id of [...waiting.keys()]) finish(id)?.reject(fail(why));
    },
    stats: () => ({ waiting: waiting.size, dropped, timedOut }),
    idle: () => (waiting.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idlers.push(resolve))),
  };
}
