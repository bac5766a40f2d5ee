// One routed request as exchange observers see it, for unit tests of observers (live series,
// exemplars): a loopback endpoint, sticky key `k`, everything else overridable.
import type { CompiledRoute } from '../../src/routing/route.js';
import type { ExchangeInfo } from '../../src/telemetry/hooks.js';

/**
 * The ExchangeInfo of a GET / on `route` served by `arm` (control is arm 0).
 * @example observer.begin(exchangeInfo(route, 'variant', { headers: { traceparent } }))
 */
export function exchangeInfo(route: CompiledRoute, arm: string, over: Partial<ExchangeInfo> = {}): ExchangeInfo {
  return {
    route,
    armIndex: arm === 'control' ? 0 : 1,
    arm,
    upstream: arm,
    endpoint: 'http://127.0.0.1:1',
    forced: false,
    share: 0.5,
    requestId: 'r',
    key: 'k',
    method: 'GET',
    target: '/',
    headers: {},
    clientIp: '127.0.0.1',
    startedAt: 0,
    startedAtEpoch: 0,
    ...over,
  };
}
