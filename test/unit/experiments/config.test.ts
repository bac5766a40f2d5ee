// The `experiment:` route key through the real loader: defaults, and located errors for a value
// goal without `value:`, an unknown goal route, a too-short window and duplicate goal names.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';

const base = (experiment: string) => `
upstreams: { a: "http://127.0.0.1:9" }
routes:
  - name: product
    arms: { control: a }
    experiment: ${experiment}
`;

function errors(yaml: string): string[] {
  const r = loadConfigText(yaml, 'x.yaml', {});
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('experiment: config', () => {
  it('fills in the defaults: 7 d, 100 units an arm, a 72 h window, α = 0.05 with Bonferroni, conversion goals on 2xx', () => {
    const r = loadConfigText(base('{ goals: [{ name: buy, match: { path: /buy } }] }'), 'x.yaml', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.routes[0]!.experiment).toEqual({
      goals: [{ name: 'buy', kind: 'conversion', match: { path: '/buy', status: '2xx' } }],
      minDuration: 7 * 86_400_000,
      minUnits: 100,
      window: 72 * 3_600_000,
      alpha: 0.05,
      correction: 'bonferroni',
      allocation: 'fixed',
    });
  });

  it('accepts value goals with a JSON field, response header and JSON matches, and a goal on another route', () => {
    const yaml = `${base(`
      window: 30m
      goals:
        - name: revenue
          kind: value
          route: product
          value: order.total
          match: { method: [post], path: /api/orders/:id, status: 2xx, header: { name: x-paid }, json: { field: state, equals: paid } }`)}`;
    expect(errors(yaml)).toEqual([]);
  });

  it.each([
    [
      '{ goals: [{ name: rev, kind: value, match: { path: /buy } }] }',
      'routes[0].experiment.goals[0].value: a value goal needs value: (the JSON field to sum)',
    ],
    ['{ goals: [{ name: rev, route: nope, match: { path: /buy } }] }', 'routes[0].experiment.goals[0].route: unknown route "nope"'],
    ['{ window: 30s }', 'routes[0].experiment.window: window is at least 1m'],
    [
      '{ goals: [{ name: a, match: { path: /a } }, { name: a, match: { path: /b } }] }',
      'routes[0].experiment.goals: goal names must be unique',
    ],
    [
      '{ goals: [{ name: a, match: { path: /a, status: 2xy } }] }',
      'routes[0].experiment.goals[0].match.status: use 1xx…5xx or any (got "2xy")',
    ],
  ])('rejects %s', (experiment, want) => {
    expect(errors(base(experiment))).toContain(want);
  });
});

describe('experiment.allocation: bandit', () => {
  const goals = 'goals: [{ name: buy, match: { path: /buy } }, { name: n, kind: count, match: { path: /n } }]';
  it('fills in the bandit defaults', () => {
    const r = loadConfigText(base(`{ ${goals}, allocation: bandit, bandit: { goal: buy } }`), 'x.yaml', {});
    expect(r.ok && r.config.routes[0]!.experiment?.bandit).toEqual({
      goal: 'buy',
      every: 5000,
      floor: 5,
      burnIn: 600_000,
      draws: 10_000,
      minChange: 2,
      maxUnits: 100_000,
    });
  });
  it.each([
    [
      `{ ${goals}, allocation: bandit, bandit: { goal: n } }`,
      'routes[0].experiment.bandit.goal: goal "n" is a count goal; a bandit needs a conversion goal (Beta posterior)',
    ],
    [`{ ${goals}, allocation: bandit, bandit: { goal: nope } }`, 'routes[0].experiment.bandit.goal: unknown goal "nope"'],
    [`{ ${goals}, allocation: bandit }`, 'routes[0].experiment.allocation: allocation: bandit needs bandit: { goal: <a conversion goal> }'],
    [`{ ${goals}, bandit: { goal: buy } }`, 'routes[0].experiment.bandit: bandit: applies to allocation: bandit only'],
    [`{ ${goals}, allocation: bandit, bandit: { goal: buy, every: 100ms } }`, 'routes[0].experiment.bandit.every: every is at least 1s'],
  ])('rejects %s', (experiment, want) => {
    expect(errors(base(experiment))).toContain(want);
  });
  it('locates the error at its line and column', () => {
    const yaml = `${base('\n      goals: [{ name: n, kind: count, match: { path: /n } }]\n      allocation: bandit\n      bandit: { goal: n }')}`;
    const r = loadConfigText(yaml, 'x.yaml', {});
    expect(r.ok ? [] : r.errors.map((e) => [e.line, e.col > 0])).toContainEqual([9, true]);
  });
  it('refuses rollout: beside allocation: bandit on one route, at the rollout line and column', () => {
    const yaml = `
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:9" }
routes:
  - name: product
    arms: { control: a, v: b }
    rollout: { steps: [5, 50] }
    experiment: { ${goals}, allocation: bandit, bandit: { goal: buy } }
`;
    const r = loadConfigText(yaml, 'x.yaml', {});
    expect(r.ok).toBe(false);
    const hit = r.ok ? undefined : r.errors.find((e) => e.path === 'routes[0].rollout');
    expect(hit?.message).toBe(
      'rollout: cannot be combined with experiment.allocation: bandit (the bandit owns the weights); remove rollout or use allocation: fixed',
    );
    expect([hit?.line, hit?.col]).toEqual([6, 14]);
    // The same rollout with the fixed allocation loads.
    expect(loadConfigText(yaml.replace(', allocation: bandit, bandit: { goal: buy }', ''), 'x.yaml', {}).ok).toBe(true);
  });
});
