// A route's shadow entries compiled for the hot path: sampling threshold, method set, header
// rewrites and compare rules precomputed from the YAML, and shadow pools bounded by the shadow's own
// timeout and concurrency (never the primary's). Pools are created, never connected.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import type { RawConfig } from '../../../src/config/schema.js';
import { createPoolRegistry, type PoolRegistry } from '../../../src/forward/pools.js';
import { compileShadow } from '../../../src/mirror/shadow-spec.js';

function config(shadow: string): RawConfig {
  const r = loadConfigText(
    `upstreams: { a: http://127.0.0.1:9001, dark: http://127.0.0.1:9002, copy: http://127.0.0.1:9003 }
defaults: { timeouts: { connect: 2s } }
routes:
  - name: api
    arms: { control: a }
    shadow: [${shadow}]
`,
    'inline.yaml',
    {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const pools: PoolRegistry[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.closeAll(true);
});

function compile(shadow: string) {
  const cfg = config(shadow);
  const registry = createPoolRegistry();
  pools.push(registry);
  const keys = new Set<string>();
  return { spec: compileShadow('api', cfg.routes[0]!.shadow[0]!, cfg, registry, keys), keys, registry };
}

describe('compileShadow', () => {
  it('precomputes the sample threshold in buckets, the lane key, methods and the mirrored arm', () => {
    const { spec } = compile('{ to: dark, percent: 12.5%, methods: [GET, POST], arm: "*" }');
    expect(spec).toMatchObject({ name: 'dark', key: 'api/dark', sampleBelow: 1250, arm: '*', noise: undefined });
    expect([...spec.methods]).toEqual(['GET', 'POST']);
    const defaults = compile('{ to: dark }').spec;
    expect(defaults.sampleBelow).toBe(10_000);
    expect(defaults.arm).toBe('control');
  });

  it('lower-cases header rewrites and splits compare ignores into header names and body paths', () => {
    const { spec } = compile(
      '{ to: dark, host: dark.internal, headers: { set: { X-Env: dark }, remove: [Authorization] }, compare: { ignore: [header:Date, body:$.meta.ts], tolerance: 0.01 } }',
    );
    expect(spec.host).toBe('dark.internal');
    expect(spec.setHeaders).toEqual([['x-env', 'dark']]);
    expect([...spec.removeHeaders]).toEqual(['authorization']);
    expect(spec.rules).toMatchObject({ ignoreHeaders: ['date'], ignoreBody: ['$.meta.ts'], numericTolerance: 0.01 });
  });

  it('builds shadow pools of its own, bounded by the shadow timeout and sized to its concurrency, plus the noise copy', () => {
    const { spec, keys, registry } = compile('{ to: dark, timeout: 1s, concurrency: 3, compare: { noiseFrom: copy } }');
    expect(spec.upstream.name).toBe('dark');
    expect(spec.noise?.name).toBe('copy');
    // connect is the smaller of the shadow timeout and the default connect timeout; every phase ≤ 1 s,
    // and the pool is sized to the shadow's concurrency: asking the registry for exactly those
    // options returns the very endpoints the shadow got.
    const same = { timeouts: { connect: 1_000, headers: 1_000, idle: 1_000 }, connections: 3 };
    expect(spec.upstream.endpoints[0]).toBe(registry.endpoint('http://127.0.0.1:9002', same));
    expect(spec.noise?.endpoints[0]).toBe(registry.endpoint('http://127.0.0.1:9003', same));
    expect([...keys].sort()).toEqual([same, same].map((o, i) => registry.endpoint(`http://127.0.0.1:900${i + 2}`, o).key).sort());
    expect(registry.size).toBe(2);
  });
});
