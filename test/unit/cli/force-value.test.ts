// `fieldlab force-value`: mints the value the proxy follows, takes the secret from the route (else
// the environment), and refuses typos in the route or arm instead of minting a value that is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runForceValue } from '../../../src/cli/force-value.js';
import { compileForce } from '../../../src/routing/force.js';
import { compileFault } from '../../../src/faults/fault-spec.js';
import { readFaultHeader } from '../../../src/faults/header.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-force-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'fieldlab.yaml');
writeFileSync(
  file,
  `listen: 0.0.0.0:8080
upstreams: { a: http://127.0.0.1:9001, b: http://127.0.0.1:9002 }
routes:
  - name: checkout
    match: { path: /checkout/* }   # a catch-all first would leave "plain" unreachable (a config error)
    arms: { control: a, variant: b }
    force: { from: header:x-fieldlab-arm, secret: "\${QA_SECRET}" }
  - name: faulty
    match: { path: /faulty/* }
    arms: { control: a }
    fault: { abort: { percent: 0 }, header: { from: header:x-fieldlab-fault, secret: "\${QA_SECRET}", maxTtl: 1h } }
  - name: plain
    arms: { control: a, variant: b }
    force: { from: header:x-fieldlab-arm, allowFrom: [10.0.0.0/8] }
`,
);

function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runForceValue(args, { out: (s) => out.push(s), err: (s) => err.push(s), env }, 1_800_000_000_000);
  return { code, out, err };
}

describe('fieldlab force-value', () => {
  const secret = 'route-secret-0123456789';
  it("prints a value the route's force policy follows until the TTL ends", () => {
    const r = run(['checkout', 'variant', '--ttl', '30m', '--config', file], {
      QA_SECRET: secret,
      FIELDLAB_FORCE_SECRET: 'env-secret-0123456789',
    });
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out[0]).toMatch(/^variant\.1800001800\./);
    const policy = compileForce({ from: 'header:x-fieldlab-arm', secret });
    const req = { headers: { 'x-fieldlab-arm': r.out[0]! }, query: '', clientIp: '' };
    expect(policy.read('checkout', req, 1_800_001_799)).toEqual({ arm: 'variant' });
    expect(policy.read('checkout', req, 1_800_001_801)).toEqual({ refused: 'expired' });
  });

  it('takes FIELDLAB_FORCE_SECRET when the route has no secret', () => {
    const r = run(['plain', 'variant', '--config', file], { QA_SECRET: secret, FIELDLAB_FORCE_SECRET: 'env-secret-0123456789' });
    expect(r.code).toBe(0);
    expect(
      compileForce({ from: 'header:x', secret: 'env-secret-0123456789' }).read(
        'plain',
        { headers: { x: r.out[0]! }, query: '', clientIp: '' },
        1_800_000_000,
      ),
    ).toEqual({ arm: 'variant' });
  });

  it('mints a fault request (fault:KIND) with fault.header.secret, only for a kind the route has, within its maxTtl', () => {
    const env = { QA_SECRET: secret, FIELDLAB_FORCE_SECRET: 'env-secret-0123456789' };
    const r = run(['faulty', 'fault:abort', '--ttl', '30m', '--config', file], env);
    expect(r).toMatchObject({ code: 0, err: [] });
    const fault = compileFault({
      by: 'unit',
      maxActive: 1,
      abort: { percent: 0, status: 503, reset: false },
      header: { from: 'header:x-fieldlab-fault', secret, maxTtl: 3_600_000 },
    });
    const input = { headers: { 'x-fieldlab-fault': r.out[0]! }, query: '', clientIp: '' };
    expect(readFaultHeader(fault, 'faulty', input, 1_800_000_000)).toEqual({ result: 'followed', decision: { kind: 'abort' } });
    expect(run(['faulty', 'fault:delay', '--config', file], env)).toMatchObject({ code: 2, err: [expect.stringContaining('fault.delay')] });
    expect(run(['checkout', 'fault:abort', '--config', file], env)).toMatchObject({
      code: 2,
      err: [expect.stringContaining('fault.header')],
    });
    expect(run(['faulty', 'fault:abort', '--ttl', '2h', '--config', file], env)).toMatchObject({
      code: 2,
      err: [expect.stringContaining('fault.header.maxTtl')],
    });
  });

  it('exits 2 on an unknown route or arm or a bad TTL, 1 without a secret', () => {
    const env = { QA_SECRET: secret };
    expect(run(['checkuot', 'variant', '--config', file], env)).toMatchObject({
      code: 2,
      err: [expect.stringContaining('no route "checkuot"')],
    });
    expect(run(['checkout', 'varaint', '--config', file], env)).toMatchObject({
      code: 2,
      err: [expect.stringContaining('control, variant')],
    });
    expect(run(['checkout', 'variant', '--ttl', 'soon', '--config', file], env).code).toBe(2);
    expect(run(['checkout'], env).code).toBe(2);
    expect(run(['plain', 'variant', '--config', file], env)).toMatchObject({ code: 1, err: [expect.stringContaining('no secret')] });
  });
});
