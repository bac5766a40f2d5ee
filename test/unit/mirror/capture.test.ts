import { describe, expect, it } from 'vitest';
import { createCapture } from '../../../src/mirror/capture.js';
import type { CapturedResponse } from '../../../src/compare/types.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('capture', () => {
  it('calls every waiter once, from a later job, whether it waited before or after the end', async () => {
    const c = createCapture(1024, performance.now());
    const seen: string[] = [];
    c.onDone((r) => seen.push(`a:${r.status}`));
    c.onDone((r) => seen.push(`b:${r.status}`));
    c.start(201, { 'content-type': 'text/plain' });
    c.data(Buffer.from('hello'));
    c.end();
    // Never inside the callback that settled it: the handler's own work finishes first.
    expect(seen).toEqual([]);
    c.onDone((r) => seen.push(`c:${r.status}`));
    c.end();
    c.fail('FL_UPSTREAM_TIMEOUT');
    expect(seen).toEqual([]);
    await flush();
    expect(seen).toEqual(['a:201', 'b:201', 'c:201']);
    c.onDone((r) => seen.push(`d:${r.body.toString()}`));
    await flush();
    expect(seen).toEqual(['a:201', 'b:201', 'c:201', 'd:hello']);
  });

  it('keeps the first cap bytes and counts the rest; a failure carries its code and no status', async () => {
    const kept = createCapture(4, 0);
    const failed = createCapture(4, 0);
    const got: CapturedResponse[] = [];
    kept.onDone((r) => got.push(r));
    failed.onDone((r) => got.push(r));
    kept.start(200, { a: '1', b: undefined });
    kept.data(Buffer.from('abc'));
    kept.data(Buffer.from('defg'));
    kept.end();
    failed.start(200, {});
    failed.fail('FL_UPSTREAM_RESET');
    await flush();
    expect(got[0]).toMatchObject({ status: 200, headers: { a: '1' }, truncated: true, bodyBytes: 7 });
    expect(got[0]!.body.toString()).toBe('abcd');
    expect('b' in got[0]!.headers).toBe(false);
    expect(got[1]).toMatchObject({ status: 0, error: 'FL_UPSTREAM_RESET', truncated: false });
  });

  it('a copy that keeps no body (cap 0) still reports status, headers, size and time', async () => {
    const c = createCapture(0, performance.now());
    let r: CapturedResponse | undefined;
    c.onDone((x) => (r = x));
    c.start(200, { 'content-type': 'application/json' });
    c.data(Buffer.from('{"a":1}'));
    c.end();
    await flush();
    expect(r).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' }, bodyBytes: 7, truncated: true });
    expect(r!.body.length).toBe(0);
    expect(r!.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
