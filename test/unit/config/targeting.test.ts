// experiment.when, experiment.layer and top-level layers through the real loader: shorthands become
// one-operator conditions, and every mistake (bad CIDR, bad regex, two operators, unknown layer,
// overlapping ranges, an over-full layer, mixed forms, different sticky sources) is reported in one pass.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';

const file = (routes: string, layers = '[{ name: checkout }]') => `
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:10" }
layers: ${layers}
routes:
${routes}`;

const route = (name: string, experiment: string, extra = '') => `
  - name: ${name}
    match: { path: /${name}/* }
    arms: { control: a, variant: b }
    sticky: [header:x-user]${extra}
    experiment: ${experiment}
`;

function errors(yaml: string): string[] {
  const r = loadConfigText(yaml, 'x.yaml', {});
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('experiment targeting and layers: config', () => {
  it('turns shorthands into one-operator conditions', () => {
    const r = loadConfigText(
      file(route('p', '{ when: { header: { x-plan: pro, x-beta: "*", x-tier: [a, b] }, cookie: { c: { notIn: [x] } }, ip: 10.0.0.0/8 } }')),
      'x.yaml',
      {},
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.routes[0]!.experiment!.when).toEqual({
      header: { 'x-plan': { equals: 'pro' }, 'x-beta': { exists: true }, 'x-tier': { in: ['a', 'b'] } },
      cookie: { c: { notIn: ['x'] } },
      ip: { in: ['10.0.0.0/8'] },
    });
  });

  it('reports a bad CIDR, a regex (not offered: ReDoS), two operators and a non-string value, each where it is', () => {
    const e = errors(
      file(
        route(
          'p',
          '{ when: { header: { x-plan: 5 }, cookie: { c: { exists: true, equals: x } }, query: { q: { regex: "(a+)+" } }, ip: [10.0.0.0/33] } }',
        ),
      ),
    );
    expect(e).toEqual([
      'routes[0].experiment.when.header.x-plan: expected a string or a list or a map, got a number',
      'routes[0].experiment.when.cookie.c: a condition has exactly one of equals, in, notIn, exists, prefix, suffix, contains',
      'routes[0].experiment.when.query.q: a condition has exactly one of equals, in, notIn, exists, prefix, suffix, contains',
      'routes[0].experiment.when.query.q.regex: unknown key "regex"',
      'routes[0].experiment.when.ip[0]: invalid CIDR (use e.g. 10.0.0.0/8 or 2001:db8::/32)',
    ]);
  });

  it('rejects an empty when: and a __proto__ name (it would vanish from the parsed rules)', () => {
    const none = 'routes[0].experiment.when: when: lists no rule (remove it, or add header, cookie, query or ip)';
    expect(errors(file(route('p', '{ when: {} }')))).toEqual([none]);
    expect(errors(file(route('p', '{ when: { header: {} } }')))).toEqual([none]);
    expect(errors(file(route('p', '{ when: { cookie: { __proto__: pro, plan: pro } } }')))).toEqual([
      'routes[0].experiment.when.cookie.__proto__: the name "__proto__" is reserved',
    ]);
  });

  it('takes sticky sources that read the same unit as the same (header case, the implicit fl_uid cookie)', () => {
    const a = route('p', '{ layer: { name: checkout, share: 10 } }');
    const b = route('q', '{ layer: { name: checkout, share: 10 } }').replace('[header:x-user]', '[header:X-User, cookie:fl_uid]');
    expect(errors(file(a + b))).toEqual([]);
  });

  it('reports holdbackFor without holdback even when another rollout field is wrong (one pass)', () => {
    const r = `
  - name: p
    arms: { control: a, variant: b }
    rollout: { steps: [1, 100], holdbackFor: 30s, minBake: banana }
`;
    expect(errors(file(r))).toEqual([
      'routes[0].rollout.holdbackFor: holdbackFor is at least 1m',
      'routes[0].rollout.holdbackFor: holdbackFor needs holdback: (the share of units kept on control)',
      'routes[0].rollout.minBake: invalid duration "banana" (use e.g. 500ms, 30s, 2m, 1h)',
    ]);
  });

  it('accepts disjoint ranges and shares that fit', () => {
    expect(
      errors(
        file(route('p', '{ layer: { name: checkout, range: [0, 40] } }') + route('q', '{ layer: { name: checkout, range: [40, 100] } }')),
      ),
    ).toEqual([]);
    expect(
      errors(file(route('p', '{ layer: { name: checkout, share: 40 } }') + route('q', '{ layer: { name: checkout, share: 60% } }'))),
    ).toEqual([]);
  });

  it('reports unknown layers, overlaps, over-full layers, mixed forms and different sticky sources', () => {
    expect(errors(file(route('p', '{ layer: { name: chekout, share: 10 } }')))).toEqual([
      'routes[0].experiment.layer.name: unknown layer "chekout", did you mean "checkout"?',
    ]);
    expect(
      errors(
        file(route('p', '{ layer: { name: checkout, range: [0, 60] } }') + route('q', '{ layer: { name: checkout, range: [50, 100] } }')),
      ),
    ).toEqual([
      `routes[1].experiment.layer.range: range [50, 100] overlaps route "p"'s [0, 60] in layer "checkout": experiments of a layer need disjoint ranges`,
    ]);
    expect(
      errors(file(route('p', '{ layer: { name: checkout, share: 60 } }') + route('q', '{ layer: { name: checkout, share: 50 } }'))),
    ).toEqual(['routes[1].experiment.layer.share: layer "checkout" is over-full: its shares add up to 110% (p 60%, q 50%); at most 100%']);
    expect(
      errors(file(route('p', '{ layer: { name: checkout, share: 10 } }') + route('q', '{ layer: { name: checkout, range: [50, 60] } }'))),
    ).toEqual([
      'routes[1].experiment.layer: layer "checkout" mixes range and share ("p" uses share, "q" range): use one form for every experiment of a layer',
    ]);
    const sticky = errors(
      file(
        route('p', '{ layer: { name: checkout, share: 10 } }') +
          route('q', '{ layer: { name: checkout, share: 10 } }').replace('header:x-user', 'cookie:uid'),
      ),
    );
    expect(sticky).toEqual([
      'routes[1].sticky: routes of layer "checkout" must read their unit from the same sticky sources (one user must be one unit across the layer): "q" uses ["cookie:uid"], "p" uses ["header:x-user","cookie:fl_uid"]',
    ]);
    expect(errors(file(route('p', '{ layer: { name: checkout, share: 10, range: [0, 5] } }')))).toEqual([
      'routes[0].experiment.layer: a layer reference has exactly one of range: [from, to] or share: N%',
    ]);
    expect(errors(file(route('p', '{ layer: { name: checkout, range: [50, 10] } }')))).toEqual([
      'routes[0].experiment.layer.range: range [50, 10] is empty: from must be below to',
    ]);
    expect(errors(file(route('p', '{}'), '[{ name: x }, { name: x }]'))).toEqual(['layers: layer names must be unique']);
  });
});
