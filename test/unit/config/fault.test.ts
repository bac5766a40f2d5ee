// The `fault:` key: defaults, and every mistake reported at its place in one pass.
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText } from '../../../src/config/load.js';

const cfg = (fault: string) => `upstreams: { a: http://127.0.0.1:9001, b: http://127.0.0.1:9002 }
routes:
  - name: r
    arms: { control: a, variant: b }
    fault: ${fault}
`;

const errorsOf = (fault: string): string => {
  const r = loadConfigText(cfg(fault), 'f.yaml', {});
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.errors.map(formatConfigError).join('\n');
};

describe('fault config', () => {
  it('fills the defaults: by unit, status 503, no reset, maxActive 100', () => {
    const r = loadConfigText(cfg('{ arms: [variant], abort: { percent: 10% }, delay: { percent: 5, min: 100ms, max: 1s } }'), 'f.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.routes[0]!.fault).toEqual({
      by: 'unit',
      arms: ['variant'],
      abort: { percent: 10, status: 503, reset: false },
      delay: { percent: 5, min: 100, max: 1000 },
      maxActive: 100,
    });
  });

  it('reports every mistake with its location, in one pass', () => {
    const errors = errorsOf(
      '{ by: user, arms: [canary], abort: { percent: 150, status: 99 }, delay: { percent: 1, min: 2s, max: 1s }, maxActive: 0 }',
    );
    for (const where of [
      'routes[0].fault.by',
      'routes[0].fault.arms[0]',
      'routes[0].fault.abort.percent',
      'routes[0].fault.abort.status',
      'routes[0].fault.delay.min',
      'routes[0].fault.maxActive',
    ])
      expect(errors).toContain(where);
    expect(errors).toContain('"canary" is not an arm of this route');
  });

  it('needs a fault, and a delay needs fixed or both min and max', () => {
    expect(errorsOf('{ by: request }')).toContain('a fault needs abort:, delay:, response:, ramp: or several');
    expect(errorsOf('{ response: {} }')).toContain('fault.response needs firstByte:, throttle: or both');
    expect(errorsOf('{ delay: { percent: 1, min: 1s } }')).toContain('a delay needs fixed: DURATION, or both min: and max:');
    expect(errorsOf('{ delay: { percent: 1, fixed: 1s, max: 2s } }')).toContain('use fixed, or min and max, not both');
    expect(errorsOf('{ delay: { percent: 1, fixed: 2m } }')).toContain('at most 60s');
  });

  it('response faults: a first-byte delay like delay:, a throttle rate in bytes/s', () => {
    const r = loadConfigText(
      cfg('{ response: { firstByte: { percent: 5%, min: 1s, max: 2s }, throttle: { percent: 2, rate: 64KiB/s } } }'),
      'f.yaml',
      {},
    );
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.routes[0]!.fault?.response).toEqual({
      firstByte: { percent: 5, min: 1000, max: 2000 },
      throttle: { percent: 2, rate: 65536 },
    });
    const errors = errorsOf('{ response: { firstByte: { percent: 1, fixed: 2m }, throttle: { percent: 1, rate: fast } } }');
    expect(errors).toContain('routes[0].fault.response.firstByte');
    expect(errors).toContain('at most 60s');
    expect(errors).toContain('routes[0].fault.response.throttle.rate');
    expect(errorsOf('{ response: { throttle: { percent: 1, rate: 0 } } }')).toContain('at least 1 byte/s');
  });
});

describe('fault.ramp config', () => {
  it('fills the defaults and compiles the levels', () => {
    const r = loadConfigText(cfg('{ ramp: { delays: [100ms, 250ms, 1s], percent: 2% } }'), 'f.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.routes[0]!.fault!.ramp).toEqual({
      delays: [100, 250, 1000],
      status: 503,
      percent: 2,
      dwell: 300_000,
      minUnits: 30,
      maxDrop: 0,
      vitals: true,
      tolerance: 1.5,
      alpha: 0.05,
      run: '1',
    });
  });

  it('reports a ramp with both kinds, falling levels, long delays, judged on nothing, or on an unknown goal', () => {
    expect(errorsOf('{ ramp: { delays: [100ms], aborts: [1%], percent: 1 } }')).toContain('a ramp needs delays: or aborts: (one of them)');
    expect(errorsOf('{ ramp: { aborts: [5%, 1%], percent: 1 } }')).toContain('ramp levels must rise strictly');
    expect(errorsOf('{ ramp: { delays: [1m, 2m], percent: 1 } }')).toContain('at most 60s');
    expect(errorsOf('{ ramp: { delays: [1s], percent: 1, vitals: false } }')).toContain('a ramp judged on nothing');
    expect(errorsOf('{ ramp: { delays: [1s], percent: 1, goal: buy } }')).toContain(
      `routes[0].fault.ramp.goal: "buy" is not a goal of this route's experiment`,
    );
  });
});
