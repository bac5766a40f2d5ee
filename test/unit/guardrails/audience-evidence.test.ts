// Guardrail evidence comes from the split's units only: requests outside the experiment's audience
// (targeting, layer slice) are left out by the runtime's observer and by the fleet adapter (workers,
// PostgreSQL fleets), like QA-forced ones, so control is the same population as the variant.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createRuntimeAdapter } from '../../../src/fleet/runtime-adapter.js';
import { createGuardrailsRuntime } from '../../../src/guardrails/runtime.js';
import { createWebhookNotifier } from '../../../src/guardrails/notify-webhook.js';
import { openSqliteStores } from '../../../src/storage/sqlite.js';
import { info, snapshotOf } from '../experiments/fixtures.js';

const YAML = `
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:10" }
routes:
  - name: product
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    guardrails: {}
    experiment: { when: { header: { x-plan: pro } } }
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('guardrail evidence and the audience', () => {
  it('the runtime and the fleet adapter observe in-audience requests only', () => {
    const { snap, close } = snapshotOf(YAML);
    const stores = openSqliteStores(':memory:');
    const runtime = createGuardrailsRuntime({
      store: stores.guardrails,
      notifier: createWebhookNotifier(),
      log: pino({ level: 'silent' }),
      states: new Map(),
      evaluateEveryMs: 0,
    });
    cleanups.push(
      close,
      () => stores.close(),
      () => runtime.stop(),
    );
    runtime.attach(snap);
    const adapter = createRuntimeAdapter(runtime, () => snap.routes);
    const inside = info(snap, 'product', { key: 'u1', arm: 'variant' });
    const outside = info(snap, 'product', { key: 'u2', excluded: 'targeting' });
    const outsideLayer = info(snap, 'product', { key: 'u3', excluded: 'layer' });
    for (const observer of [runtime.observer, adapter.observer]) {
      expect(observer.begin(inside)).toBeDefined();
      expect(observer.begin(outside)).toBeUndefined();
      expect(observer.begin(outsideLayer)).toBeUndefined();
    }
  });
});
