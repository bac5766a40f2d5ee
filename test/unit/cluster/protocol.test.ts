// The IPC protocol: what crosses between processes is checked before anything acts on it, the
// channel is bounded (drop and count when full), and store calls match their replies, fail fast
// when too many wait, time out, and fail at once when the primary is gone.
import { describe, expect, it } from 'vitest';
import { emptyArmSecond } from '../../../src/guardrails/arm-second.js';
import { createChannel } from '../../../src/cluster/channel.js';
import { parsePrimaryMessage, parseWorkerMessage, type WorkerMessage } from '../../../src/cluster/protocol.js';
import { createRpcClient } from '../../../src/cluster/rpc.js';

const exemplar = {
  route: 'checkout',
  arm: 'variant',
  at: 1_700_000_000_000,
  status: 503,
  code: null,
  ms: 12.5,
  method: 'GET',
  path: '/buy/:id',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  bad: true,
};

describe('parseWorkerMessage', () => {
  it('accepts each message kind', () => {
    const second = { route: 'checkout', sec: 1_700_000_000, arms: { control: emptyArmSecond() } };
    expect(parseWorkerMessage({ t: 'ready', port: 8080, digest: 'ab' })).toEqual({ t: 'ready', port: 8080, digest: 'ab' });
    expect(parseWorkerMessage({ t: 'hello' })).toEqual({ t: 'hello' });
    expect(parseWorkerMessage({ t: 'failed', code: 'FL_LISTEN_FAILED', message: 'EADDRINUSE' })).toMatchObject({ t: 'failed' });
    expect(parseWorkerMessage({ t: 'evidence', through: 5, seconds: [second] })).toEqual({ t: 'evidence', through: 5, seconds: [second] });
    expect(parseWorkerMessage({ t: 'metrics', text: 'x 1\n' })).toEqual({ t: 'metrics', text: 'x 1\n' });
    expect(parseWorkerMessage({ t: 'store', id: 3, op: 'diffs.write', args: [{}], deadline: 5 })).toMatchObject({ t: 'store', id: 3 });
    const live = { route: 'checkout', arm: 'variant', sec: 1_700_000_000, requests: 3, errors: 1, latency: [40, 2, 41, 1] };
    expect(parseWorkerMessage({ t: 'live', seconds: [live], dropped: 0 })).toEqual({ t: 'live', seconds: [live], dropped: 0 });
    expect(parseWorkerMessage({ t: 'exemplars', items: [exemplar], dropped: 2 })).toEqual({
      t: 'exemplars',
      items: [exemplar],
      dropped: 2,
    });
  });

  it('checks ramp evidence batch by batch, and the primary ramp step', () => {
    const batch = {
      route: 'shop',
      identity: 'x',
      step: 1,
      routeRequests: 2,
      injected: 1,
      seconds: [9, 1, 1, 0, 0],
      exposed: [['u', 1]],
      goals: [],
      dropped: 0,
    };
    expect(parseWorkerMessage({ t: 'ramp-evidence', batches: [batch] })).toEqual({ t: 'ramp-evidence', batches: [batch] });
    expect(parseWorkerMessage({ t: 'ramp-evidence', batches: [batch, { ...batch, step: 'one' }] })).toBeUndefined();
    expect(parseWorkerMessage({ t: 'ramp-evidence', batches: {} })).toBeUndefined();
    expect(parsePrimaryMessage({ t: 'ramp', shared: { shop: null } })).toEqual({ t: 'ramp', shared: { shop: null } });
    expect(parsePrimaryMessage({ t: 'ramp', shared: [] })).toBeUndefined();
  });

  it('refuses malformed messages instead of throwing', () => {
    const badArm = { ...emptyArmSecond(), requests: -1 };
    for (const m of [
      null,
      'ready',
      [],
      { t: 'nope' },
      { t: 'ready', port: '8080', digest: 'ab' },
      { t: 'ready', port: 8080 },
      { t: 'failed', code: 1, message: 'x' },
      { t: 'evidence', through: 1, seconds: [{ route: 'r', sec: 1, arms: { control: badArm } }] },
      { t: 'evidence', through: 1, seconds: [{ route: 'r', sec: 1.5, arms: {} }] },
      { t: 'evidence', through: -1, seconds: [] },
      { t: 'metrics', text: 1 },
      { t: 'store', id: 1, op: 'diffs.write' },
      { t: 'store', id: 1, op: 'diffs.write', args: [] },
      { t: 'live', seconds: [], dropped: -1 },
      { t: 'exemplars', items: [{ ...exemplar, traceId: 7 }], dropped: 0 },
      { t: 'exemplars', items: [{ ...exemplar, ms: -1 }], dropped: 0 },
      { t: 'exemplars', items: [{ ...exemplar, bad: 'yes' }], dropped: 0 },
      { t: 'exemplars', items: Array.from({ length: 2049 }, () => exemplar), dropped: 0 },
      { t: 'live', seconds: [{ route: 'r', arm: 'a', sec: 1, requests: 1, errors: 0, latency: [3] }], dropped: 0 },
      { t: 'live', seconds: [{ route: 'r', arm: 'a', sec: 1, requests: 1, errors: 0, latency: [100_000, 1] }], dropped: 0 },
      { t: 'live', seconds: [{ route: 'r', arm: 'a', sec: 1, requests: 1.5, errors: 0, latency: [] }], dropped: 0 },
      {
        t: 'live',
        seconds: Array.from({ length: 2049 }, () => ({ route: 'r', arm: 'a', sec: 1, requests: 1, errors: 0, latency: [] })),
        dropped: 0,
      },
    ])
      expect(parseWorkerMessage(m)).toBeUndefined();
  });
});

describe('parsePrimaryMessage', () => {
  it('accepts each kind and refuses the rest', () => {
    expect(parsePrimaryMessage({ t: 'drain' })).toEqual({ t: 'drain' });
    expect(parsePrimaryMessage({ t: 'config', text: 'a: 1' })).toEqual({ t: 'config', text: 'a: 1' });
    expect(parsePrimaryMessage({ t: 'states', states: { checkout: {} } })).toEqual({ t: 'states', states: { checkout: {} } });
    expect(parsePrimaryMessage({ t: 'reload', text: 'a: 1', trigger: 'SIGHUP' })).toMatchObject({ t: 'reload' });
    expect(parsePrimaryMessage({ t: 'faults', enabled: false })).toEqual({ t: 'faults', enabled: false });
    // The bandit's weights: each route's value is checked by the worker's bandit runtime (bandit-lead.ts).
    expect(parsePrimaryMessage({ t: 'bandit', shared: { product: {} } })).toEqual({ t: 'bandit', shared: { product: {} } });
    expect(parsePrimaryMessage({ t: 'store-reply', id: 1, ok: true, value: 3 })).toEqual({ t: 'store-reply', id: 1, ok: true, value: 3 });
    expect(parsePrimaryMessage({ t: 'store-reply', id: 1, ok: false, error: 'full', code: 'FL_STORE_BUSY' })).toMatchObject({
      code: 'FL_STORE_BUSY',
    });
    for (const m of [
      { t: 'states', states: [] },
      { t: 'bandit', shared: [] },
      { t: 'bandit' },
      { t: 'reload', text: 1 },
      { t: 'faults', enabled: 'off' },
      { t: 'faults' },
      { t: 'store-reply', id: 1, ok: false },
      { t: 'store-reply', ok: true },
    ])
      expect(parsePrimaryMessage(m)).toBeUndefined();
  });
});

/** A channel whose writes complete only when the test says so. */
function heldChannel(max: number) {
  const held: { m: WorkerMessage; done: (err: Error | null) => void }[] = [];
  const channel = createChannel<WorkerMessage>(
    (m, done) => {
      held.push({ m, done });
      return true;
    },
    { max },
  );
  return { channel, held };
}

describe('createChannel', () => {
  it('drops and counts beyond `max` unwritten messages, and accepts again once they are written', async () => {
    const { channel, held } = heldChannel(2);
    expect(channel.send({ t: 'metrics', text: 'a' })).toBe(true);
    expect(channel.send({ t: 'metrics', text: 'b' })).toBe(true);
    expect(channel.send({ t: 'metrics', text: 'c' })).toBe(false);
    expect(channel.dropped()).toBe(1);
    expect(channel.pending()).toBe(2);
    let idle = false;
    const waiting = channel.idle().then(() => (idle = true));
    held[0]!.done(null);
    expect(channel.send({ t: 'metrics', text: 'd' })).toBe(true);
    held[1]!.done(null);
    held[2]!.done(null);
    await waiting;
    expect(idle).toBe(true);
    expect(channel.pending()).toBe(0);
  });

  it('counts a closed channel (a throwing send) as a drop', () => {
    const channel = createChannel<WorkerMessage>(
      () => {
        throw new Error('ERR_IPC_CHANNEL_CLOSED');
      },
      { max: 4 },
    );
    expect(channel.send({ t: 'metrics', text: 'a' })).toBe(false);
    expect(channel.dropped()).toBe(1);
    expect(channel.pending()).toBe(0);
  });
});

describe('createRpcClient', () => {
  it('matches replies to calls by id, in any order', async () => {
    const { channel, held } = heldChannel(8);
    const rpc = createRpcClient(channel, { max: 8, timeoutMs: 60_000 });
    const a = rpc.call('diffs.rows', [{}]);
    const b = rpc.call('guardrails.claimSeeds', [{ checkout: 's' }, 1]);
    const ids = held.map((h) => (h.m as Extract<WorkerMessage, { t: 'store' }>).id);
    rpc.reply({ t: 'store-reply', id: ids[1]!, ok: true, value: { checkout: 's' } });
    rpc.reply({ t: 'store-reply', id: ids[0]!, ok: false, error: 'disk full', code: 'FL_STORE_UNAVAILABLE' });
    await expect(b).resolves.toEqual({ checkout: 's' });
    await expect(a).rejects.toMatchObject({ message: 'disk full', code: 'FL_STORE_UNAVAILABLE' });
    await rpc.idle();
    expect(rpc.stats().waiting).toBe(0);
  });

  it('fails a call at once when `max` calls wait, and every call when closed', async () => {
    const { channel } = heldChannel(8);
    const rpc = createRpcClient(channel, { max: 1, timeoutMs: 60_000 });
    const first = rpc.call('diffs.write', [{}]);
    await expect(rpc.call('diffs.write', [{}])).rejects.toMatchObject({ code: 'FL_WORKER_IPC' });
    expect(rpc.stats().dropped).toBe(1);
    rpc.close('the primary is gone');
    await expect(first).rejects.toMatchObject({ code: 'FL_WORKER_IPC', message: expect.stringContaining('the primary is gone') });
    await expect(rpc.call('diffs.write', [{}])).rejects.toMatchObject({ code: 'FL_WORKER_IPC' });
  });

  it('fails a call the channel dropped, and one nobody answers in time', async () => {
    const full = createRpcClient(heldChannel(0).channel, { max: 8, timeoutMs: 60_000 });
    await expect(full.call('diffs.write', [{}])).rejects.toMatchObject({ code: 'FL_WORKER_IPC' });
    const silent = createRpcClient(heldChannel(8).channel, { max: 8, timeoutMs: 1 });
    await expect(silent.call('diffs.write', [{}])).rejects.toMatchObject({
      code: 'FL_WORKER_IPC',
      message: expect.stringContaining('no reply'),
    });
    expect(silent.stats().timedOut).toBe(1);
  });
});
