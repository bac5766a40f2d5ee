// The validator's cross-checks: reported in the same pass as field errors, each at file:line:col.
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText, quoteMemoryStore } from '../../../src/config/load.js';

function errors(text: string, env: Record<string, string | undefined> = {}): string[] {
  const r = loadConfigText(text, 'f.yaml', env);
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.errors.map(formatConfigError);
}

function config(text: string) {
  const r = loadConfigText(text, 'f.yaml', {});
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.errors.map(formatConfigError).join('\n')}`);
  return r.config;
}

const UP = 'upstreams: { a: "http://127.0.0.1:1", b: "http://127.0.0.1:2" }\n';

describe('validator: one pass', () => {
  it('reports field errors and cross-reference errors together', () => {
    // A bad duration (a field) and an unknown upstream (a cross-reference): both, in one run.
    expect(
      errors(`${UP}drainTimeout: soon
routes:
  - name: r
    arms: { control: nope }
`),
    ).toEqual([
      'f.yaml:2:15 drainTimeout: invalid duration "soon" (use e.g. 500ms, 30s, 2m, 1h)',
      'f.yaml:5:22 routes[0].arms.control: unknown upstream "nope"',
    ]);
  });

  it('reports environment and schema errors together, without echoing the failed substitution', () => {
    expect(errors(`${UP}listen: \${PORT}\nlimits: { maxHeaders: -1 }\n`)).toEqual([
      'f.yaml:2:9 listen: environment variable PORT is not set',
      'f.yaml:3:23 limits.maxHeaders: must be greater than 0',
    ]);
  });

  it('stays silent about parts that failed their own checks (no cascade)', () => {
    // arms is not a map: one error, not also "arms must include control" or unknown upstreams.
    expect(errors(`${UP}routes:\n  - name: r\n    arms: [a]\n`)).toEqual(['f.yaml:4:11 routes[0].arms: expected a map, got a list']);
    // upstreams missing: no "unknown upstream" for every arm.
    expect(errors('routes:\n  - name: r\n    arms: { control: a }\n')).toEqual(['f.yaml:1:1 missing required key "upstreams"']);
  });
});

describe('validator: did-you-mean at every level', () => {
  it('suggests the key at every nesting level, once, without also calling the real key missing', () => {
    expect(
      errors(`store: { urll: "sqlite::memory:" }
fleet: { leas: 5s }
metrics: { listn: 127.0.0.1:0 }
tracing: { sampel: 1 }
upstreams:
  a: { endpoint: "http://127.0.0.1:1" }
  b: "http://127.0.0.1:2"
routes:
  - name: r
    arms: { control: b, variant: b }
    rollout: { step: [1] }
    guardrails: { slo: { latency: { p98: 1s } }, webhook: { ulr: "http://x" } }
    shadow: [{ to: b, headers: { sett: {} }, compare: { ignre: [] } }]
`),
    ).toEqual([
      'f.yaml:1:10 store.urll: unknown key "urll", did you mean "url"?',
      'f.yaml:2:10 fleet.leas: unknown key "leas", did you mean "lease"?',
      'f.yaml:3:12 metrics.listn: unknown key "listn", did you mean "listen"?',
      'f.yaml:4:12 tracing.sampel: unknown key "sampel", did you mean "sample"?',
      'f.yaml:6:8 upstreams.a.endpoint: unknown key "endpoint", did you mean "endpoints"?',
      'f.yaml:11:16 routes[0].rollout.step: unknown key "step", did you mean "steps"?',
      'f.yaml:12:37 routes[0].guardrails.slo.latency.p98: unknown key "p98", did you mean "p99"?',
      'f.yaml:12:61 routes[0].guardrails.webhook.ulr: unknown key "ulr", did you mean "url"?',
      'f.yaml:13:34 routes[0].shadow[0].headers.sett: unknown key "sett", did you mean "set"?',
      'f.yaml:13:57 routes[0].shadow[0].compare.ignre: unknown key "ignre", did you mean "ignore"?',
    ]);
  });

  it('a missing key with no near miss is still reported as missing', () => {
    expect(errors(`${UP}metrics: {}\n`)).toEqual(['f.yaml:2:10 metrics: missing required key "listen"']);
  });
});

describe('validator: routes that can never match', () => {
  it('a route after a catch-all is dead', () => {
    expect(
      errors(`${UP}routes:
  - name: all
    arms: { control: a }
  - name: api
    match: { path: /api/*, methods: [GET] }
    arms: { control: b }
`),
    ).toEqual([
      `f.yaml:6:12 routes[1].match: route "api" can never match: route "all" (routes[0], path /*) comes first and takes every request it would (first match wins); move it above "all" or narrow "all"'s match`,
    ]);
  });

  it('a prefix covering a later path with a broader method match shadows it; a narrower one does not', () => {
    const text = (methods: string) => `${UP}routes:
  - name: wide
    match: { path: /api/*${methods} }
    arms: { control: a }
  - name: narrow
    match: { path: /api/users/:id, methods: [GET] }
    arms: { control: b }
`;
    expect(errors(text(''))).toHaveLength(1);
    expect(errors(text(', methods: [get, post]'))[0]).toContain('route "narrow" can never match: route "wide"');
    expect(config(text(', methods: [POST]')).routes).toHaveLength(2);
  });

  it('host and header matches narrow the earlier route, so the later one stays reachable', () => {
    expect(
      config(`${UP}routes:
  - name: beta
    match: { path: /*, headers: { x-beta: "1" } }
    arms: { control: a }
  - name: shop
    match: { path: /*, host: shop.example.com }
    arms: { control: a }
  - name: rest
    arms: { control: b }
`).routes,
    ).toHaveLength(3);
  });
});

describe('validator: rollout, split and guardrail numbers', () => {
  const route = (extra: string) => `${UP}routes:
  - name: r
    arms: { control: a, canary: b }
${extra}`;

  it('split next to rollout is an error (the rollout sets the weights)', () => {
    expect(errors(route('    split: { canary: 10 }\n    rollout: { steps: [5, 50] }\n'))).toEqual([
      'f.yaml:5:12 routes[0].split: split is ignored when the route has a rollout (the rollout sets the weights, from steps[0]); remove split or rollout',
    ]);
  });

  it('maxStep shorter than minBake is an error at maxStep', () => {
    expect(errors(route('    rollout: { steps: [5, 50], minBake: 10m, maxStep: 1m }\n'))).toEqual([
      'f.yaml:5:55 routes[0].rollout.maxStep: maxStep 1m is shorter than minBake 10m: a step would hold (maxStep) before it may advance (minBake)',
    ]);
    expect(config(route('    rollout: { steps: [5, 50], minBake: 10m, maxStep: 10m }\n')).routes[0]!.rollout?.maxStep).toBe(600_000);
    // Unwritten, maxStep follows a long minBake instead of undercutting it (default 30m).
    expect(config(route('    rollout: { steps: [5, 50], minBake: 1h }\n')).routes[0]!.rollout?.maxStep).toBe(3_600_000);
    expect(config(route('    rollout: { steps: [5, 50] }\n')).routes[0]!.rollout?.maxStep).toBe(1_800_000);
  });

  it('minSamples: 0 is refused (a step would pass on no evidence)', () => {
    expect(errors(route('    guardrails: { minSamples: 0 }\n'))).toEqual([
      'f.yaml:5:31 routes[0].guardrails.minSamples: must be at least 1',
    ]);
  });

  it('accepts a percent wherever a ratio is taken: alpha, tolerance, compare.tolerance, tracing.sample', () => {
    const cfg = config(`tracing: { sample: 10% }
${route('    guardrails: { alpha: 5%, tolerance: 150% }\n    shadow: [{ to: b, compare: { tolerance: 0.1% } }]\n')}`);
    const r = cfg.routes[0]!;
    expect(r.guardrails).toMatchObject({ alpha: 0.05, tolerance: 1.5 });
    expect(r.shadow[0]!.compare.tolerance).toBe(0.001);
    expect(cfg.tracing?.sample).toBe(0.1);
    expect(config(route('    guardrails: { alpha: 0.05, tolerance: 1.5 }\n')).routes[0]!.guardrails).toMatchObject({
      alpha: 0.05,
      tolerance: 1.5,
    });
  });

  it('a ratio out of bounds names the bound both ways', () => {
    expect(errors(route('    guardrails: { alpha: 50%, tolerance: 5% }\n'))).toEqual([
      'f.yaml:5:26 routes[0].guardrails.alpha: must be less than 0.5 (50%), got 50%',
      'f.yaml:5:42 routes[0].guardrails.tolerance: must be at least 1 (100%), got 5%',
    ]);
  });

  it('an unknown split arm gets a did-you-mean, or the list of variants', () => {
    expect(errors(route('    split: { cnary: 10 }\n'))).toEqual([
      'f.yaml:5:21 routes[0].split.cnary: unknown arm "cnary", did you mean "canary"?',
    ]);
    expect(errors(route('    split: { other: 10 }\n'))).toEqual([
      'f.yaml:5:21 routes[0].split.other: unknown arm "other" (variants of this route: canary)',
    ]);
  });
});

describe('validator: store: sqlite::memory: unquoted', () => {
  it('is accepted as the in-memory store, bare, in the object form and before a comment', () => {
    expect(config(`store: sqlite::memory:\n${UP}`).store.url).toBe('sqlite::memory:');
    expect(config(`store: sqlite::memory:   # tests\n${UP}`).store.url).toBe('sqlite::memory:');
    expect(config(`store: { url: sqlite::memory:, retention: 1d }\n${UP}`).store).toMatchObject({
      url: 'sqlite::memory:',
      retention: 86_400_000,
    });
    expect(config(`store:\n  url: sqlite::memory:\n${UP}`).store.url).toBe('sqlite::memory:');
  });

  it('leaves quoted forms alone', () => {
    expect(quoteMemoryStore('store: "sqlite::memory:"\n')).toBe('store: "sqlite::memory:"\n');
    expect(quoteMemoryStore("store: 'sqlite::memory:'\n")).toBe("store: 'sqlite::memory:'\n");
  });
});
