// Observer calls are guarded: a throwing observer costs nothing to the others or the exchange, its
// first failure is logged, every failure is counted per observer.
import { describe, expect, it } from 'vitest';
import { beginExchange, createObserverGuard, type ExchangeInfo, type ExchangeObserver } from '../../../src/telemetry/hooks.js';

const info = {} as ExchangeInfo;
const outcome = { status: 200, code: undefined, bytes: 1, upstreamMs: 1 };

describe('beginExchange guards observers', () => {
  it('contains throws from begin, end and shadow; logs each observer once and counts every failure', () => {
    const logged: string[] = [];
    const guard = createObserverGuard((name) => logged.push(name));
    const seen: string[] = [];
    const bad: ExchangeObserver = {
      name: 'bad',
      begin: () => ({
        end: () => {
          throw new Error('end');
        },
        shadow: () => {
          throw new Error('shadow');
        },
      }),
    };
    const worse: ExchangeObserver = {
      name: 'worse',
      begin: () => {
        throw new Error('begin');
      },
    };
    const good: ExchangeObserver = {
      name: 'good',
      begin: () => ({
        traceparent: 'tp',
        end: (o) => void seen.push(`end ${o.status}`),
        shadow: () => ({ end: () => void seen.push('shadow') }),
      }),
    };
    for (let i = 0; i < 3; i++) {
      const t = beginExchange([bad, worse, good], info, guard);
      expect(t?.traceparent).toBe('tp');
      expect(() => t?.end(outcome, 5)).not.toThrow();
      expect(() => t?.shadow?.('dark', 'shadow')?.end({} as never)).not.toThrow();
    }
    expect(seen).toEqual(['end 200', 'shadow', 'end 200', 'shadow', 'end 200', 'shadow']);
    expect(guard.stats()).toEqual({ bad: 6, worse: 3 });
    expect(logged.sort()).toEqual(['bad', 'worse']);
  });

  it('guards a single tracker too, naming unnamed observers by position', () => {
    const guard = createObserverGuard(() => undefined);
    const t = beginExchange(
      [
        {
          begin: () => ({
            end: () => {
              throw new Error('x');
            },
          }),
        },
      ],
      info,
      guard,
    );
    t?.end(outcome, 1);
    expect(guard.stats()).toEqual({ 'observer-0': 1 });
  });
});
