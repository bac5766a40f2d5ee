// Which requests get a shadow copy, decided before anything is built: the mirrored arm, the sample
// (a hash of the request id, so one request is in or out for good), the method set, a saturated
// lane and a declared body over maxBody. Every refusal but the sample is a counted skip. The
// dispatcher here never has room, so no copy is ever sent (no sockets).
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Prepared } from '../../../src/ingress/prepare.js';
import type { ShadowDispatcher } from '../../../src/mirror/dispatcher.js';
import { beginMirror, type PairSink } from '../../../src/mirror/mirror.js';
import type { CompiledShadow } from '../../../src/mirror/shadow-spec.js';
import { bucketOf } from '../../../src/routing/hash.js';
import type { CompiledRoute } from '../../../src/routing/route.js';

const shadow = (over: Partial<CompiledShadow>): CompiledShadow =>
  ({
    name: 'dark',
    key: 'r/dark',
    sampleBelow: 10_000,
    methods: new Set(['GET']),
    arm: 'control',
    maxBody: 100,
    concurrency: 1,
    queue: 1,
    ...over,
  }) as CompiledShadow;

function plan(
  shadows: CompiledShadow[],
  req: { method: string; headers?: Record<string, string> },
  opts: { arm?: string; requestId?: string; room?: boolean } = {},
) {
  const skips: string[] = [];
  const sink: PairSink = { accepting: () => true, pair: () => undefined, skip: (_r, s, reason) => void skips.push(`${s}:${reason}`) };
  const dispatcher = { refusal: () => ((opts.room ?? false) ? undefined : 'queue_full') } as unknown as ShadowDispatcher;
  // Ingress decides hasBody once (RFC 9112 §6: Content-Length or Transfer-Encoding); mirror reads it.
  const hasBody = req.headers?.['content-length'] !== undefined && req.headers['content-length'] !== '0';
  const prepared = {
    hasBody,
    requestId: opts.requestId ?? 'req-1',
    arm: opts.arm ?? 'control',
    route: { name: 'r', shadows } as unknown as CompiledRoute,
  } as Prepared;
  const result = beginMirror({ headers: {}, ...req } as unknown as IncomingMessage, prepared, { dispatcher, sink });
  return { result, skips };
}

describe('beginMirror: who gets a copy', () => {
  it('costs nothing and counts nothing for a request of another arm', () => {
    expect(plan([shadow({})], { method: 'GET' }, { arm: 'variant' })).toEqual({ result: undefined, skips: [] });
  });

  it('samples by the request id: in or out by bucketOf(mirror:NAME, id), never counted as a skip', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `req-${i}`);
    const half = shadow({ sampleBelow: 5_000 });
    const sampledIn = ids.filter((id) => plan([half], { method: 'GET' }, { requestId: id }).skips.length > 0);
    expect(sampledIn).toEqual(ids.filter((id) => bucketOf('mirror:dark', id) < 5_000));
    expect(sampledIn.length).toBeGreaterThan(150);
    expect(sampledIn.length).toBeLessThan(250);
  });

  it('counts methods the shadow does not list, and a lane without room, per shadow', () => {
    const writes = shadow({ name: 'writes', key: 'r/writes', methods: new Set(['GET', 'POST']) });
    expect(plan([shadow({}), writes], { method: 'POST' }).skips).toEqual(['dark:method', 'writes:queue_full']);
  });

  it('counts a declared body over maxBody as body_too_large (the request body, before any copy is made)', () => {
    const small = shadow({ methods: new Set(['POST']), maxBody: 10 });
    const r = plan([small], { method: 'POST', headers: { 'content-length': '11' } }, { room: true });
    expect(r).toEqual({ result: undefined, skips: ['dark:body_too_large'] });
  });
});

describe('beginMirror: compare room', () => {
  it('reserves room for a captured copy and gives it back when the copy is refused', () => {
    const held: string[] = [];
    const sink: PairSink = {
      accepting: () => true,
      reserve: () => void held.push('reserve'),
      release: () => void held.push('release'),
      pair: () => undefined,
      skip: (_r, s, reason) => void held.push(`${s}:${reason}`),
    };
    const dispatcher = {
      refusal: () => undefined,
      submit: () => 'queue_full',
    } as unknown as ShadowDispatcher;
    const prepared = {
      hasBody: false,
      requestId: 'req-1',
      arm: 'control',
      headers: [],
      path: '/',
      route: {
        name: 'r',
        shadows: [
          shadow({
            rules: { maxBody: 100 },
            removeHeaders: new Set(),
            setHeaders: [],
          } as unknown as Partial<CompiledShadow>),
        ],
      },
    } as unknown as Prepared;
    const result = beginMirror({ method: 'GET', headers: {} } as unknown as IncomingMessage, prepared, { dispatcher, sink });
    expect(result?.capture).toBeDefined();
    expect(held).toEqual(['reserve', 'release', 'dark:queue_full']);
  });
});
