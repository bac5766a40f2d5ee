// The response tap: passes every callback on unchanged (same chunks, same order), records goals
// that need a header, a JSON field or a value only after the inner handler ended the response, and
// skips (counted) bodies over the cap, non-JSON bodies and more concurrent bodies than allowed.
import { gzipSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { Prepared } from '../../../src/ingress/prepare.js';
import { createResponseTap, MAX_GOAL_BODY, withTap } from '../../../src/experiments/response-tap.js';
import type { GoalSpec } from '../../../src/experiments/spec.js';
import { snapshotOf } from './fixtures.js';

const { snap, close } = snapshotOf(`
upstreams: { a: "http://127.0.0.1:9" }
routes:
  - name: shop
    arms: { control: a }
    sticky: [header:x-user]
    experiment:
      goals:
        - { name: paid, kind: conversion, match: { method: POST, path: /orders, header: { name: x-paid, value: "yes" } } }
        - { name: revenue, kind: value, value: order.total, match: { method: POST, path: /orders, json: { field: state, equals: ok } } }
`);
afterAll(close);

const req = (method: string) => ({ method, headers: { 'x-user': 'u1' } }) as unknown as IncomingMessage;
const prepared = (path: string) =>
  ({ path, route: snap.routes[0]!, clientIp: '10.0.0.1', assignment: { key: 'u1', forced: false } }) as unknown as Prepared;

function run(body: Buffer | string, headers: Record<string, string>, opts: { maxBodies?: number; method?: string } = {}) {
  const goals: { goal: string; unit: string; value: number }[] = [];
  const t = createResponseTap({
    recorder: { goal: (g: GoalSpec, unit: string, _at: number, value: number) => void goals.push({ goal: g.name, unit, value }) },
    current: () => snap,
    ...(opts.maxBodies !== undefined ? { maxBodies: opts.maxBodies } : {}),
  });
  const seen: unknown[] = [];
  const inner: Dispatcher.DispatchHandler = {
    onResponseStart: (_c, status, h) => void seen.push(['start', status, h]),
    onResponseData: (_c, chunk) => void seen.push(['data', chunk]),
    onResponseEnd: () => void seen.push(['end', goals.length]),
  };
  const decorator = t.tap(req(opts.method ?? 'POST'), prepared('/orders'));
  const chunk = Buffer.from(body);
  if (decorator) {
    const h = decorator.wrap(inner);
    const c = {} as Dispatcher.DispatchController;
    h.onResponseStart!(c, 200, headers, 'OK');
    h.onResponseData!(c, chunk);
    h.onResponseEnd!(c, {});
  }
  return { goals, seen, chunk, stats: t.stats, decorator, settled: () => new Promise((r) => setImmediate(r)) };
}

describe('response tap', () => {
  it('passes the response on untouched, then records the header goal and the value of a matching JSON body', async () => {
    const headers = { 'content-type': 'application/json', 'x-paid': 'yes' };
    const r = run('{"state":"ok","order":{"total":"12.5"}}', headers);
    expect(r.seen).toEqual([
      ['start', 200, headers],
      ['data', r.chunk],
      ['end', 0],
    ]);
    expect(r.seen[1]![1 as never]).toBe(r.chunk); // the very same chunk, not a copy
    await r.settled();
    expect(r.goals).toEqual([
      { goal: 'paid', unit: 'u1', value: 0 },
      { goal: 'revenue', unit: 'u1', value: 12.5 },
    ]);
  });

  it('reads gzip bodies; a JSON field with another value is no goal', async () => {
    const r = run(gzipSync('{"state":"failed","order":{"total":3}}'), { 'content-encoding': 'gzip' });
    await r.settled();
    expect(r.goals).toEqual([]);
    const ok = run(gzipSync('{"state":"ok","order":{"total":3}}'), { 'content-encoding': 'gzip' });
    await ok.settled();
    expect(ok.goals).toEqual([{ goal: 'revenue', unit: 'u1', value: 3 }]);
  });

  it('skips and counts bodies that are not JSON or over the cap, and bodies beyond maxBodies at once', async () => {
    const text = run('not json', {});
    await text.settled();
    expect(text.goals).toEqual([]);
    expect(text.stats()).toMatchObject({ unreadable: 1 });
    const big = run(`{"state":"ok","pad":"${'x'.repeat(MAX_GOAL_BODY)}"}`, {});
    await big.settled();
    expect(big.goals).toEqual([]);
    const busy = run('{"state":"ok","order":{"total":1}}', {}, { maxBodies: 0 });
    await busy.settled();
    expect(busy.stats()).toMatchObject({ busy: 1 });
  });

  it('costs nothing for requests no response goal could match, and withTap keeps other decorators', () => {
    expect(run('{}', {}, { method: 'GET' }).decorator).toBeUndefined();
    expect(withTap(undefined, undefined)).toBeUndefined();
    const order: string[] = [];
    const mark = (name: string) => ({
      wrap: (h: Dispatcher.DispatchHandler) => {
        order.push(name);
        return h;
      },
    });
    withTap({ decorator: mark('capture') }, mark('tap'))!.decorator!.wrap({});
    expect(order).toEqual(['capture', 'tap']);
  });
});
