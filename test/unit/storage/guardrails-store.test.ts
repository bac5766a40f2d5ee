import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../../src/storage/sqlite.js';
import { openSqliteWorkerStores } from '../../../src/storage/sqlite-client.js';
import { decision, hist, runGuardrailContract } from './guardrail-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-guardrails-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runGuardrailContract('sqlite :memory:', async () => {
  const s = openSqliteStores(':memory:');
  return { store: s.guardrails, close: s.close };
});
runGuardrailContract('sqlite file', async () => {
  const s = openSqliteStores(join(dir, `c${++n}.db`));
  return { store: s.guardrails, close: s.close };
});

runGuardrailContract('sqlite worker thread', async () => {
  const s = await openSqliteWorkerStores(join(dir, `w${++n}.db`));
  return { store: s.guardrails, close: s.close };
});

describe('guardrails store (SQLite file)', () => {
  const file = join(dir, 'g.db');

  it('keeps state, decisions and minute rollups across a close and reopen', async () => {
    const a = openSqliteStores(file);
    await a.guardrails.saveState('checkout', { phase: 'rolled-back', stepIndex: 2 }, 1000);
    await a.guardrails.saveState('checkout', { phase: 'rolled-back', stepIndex: 3 }, 2000);
    await a.guardrails.appendDecision(decision(1000));
    await a.guardrails.appendDecision(
      decision(2000, {
        action: 'rollback',
        fromPercent: 5,
        toPercent: 0,
        rule: 'sequential-ratio',
        reason: 'bad',
        evidence: { e: 150 },
        actor: undefined,
      }),
    );
    await a.guardrails.writeMinutes([
      { minute: 60_000, route: 'checkout', arm: 'variant', requests: 10, bad: 1, slow: 0, latency: hist(5, 7) },
    ]);
    await a.guardrails.writeMinutes([
      { minute: 60_000, route: 'checkout', arm: 'variant', requests: 5, bad: 2, slow: 1, latency: hist(900) },
    ]);
    await a.close();

    const b = openSqliteStores(file);
    expect(await b.guardrails.loadStates()).toEqual(new Map([['checkout', { phase: 'rolled-back', stepIndex: 3 }]]));
    expect((await b.guardrails.decisions({ route: 'checkout' })).map((d) => d.action)).toEqual(['rollback', 'step']);
    expect((await b.guardrails.decisions({ route: 'checkout', limit: 1 }))[0]!.evidence).toEqual({ e: 150 });
    const [minute] = await b.guardrails.minutes({ route: 'checkout' });
    expect(minute).toMatchObject({ minute: 60_000, requests: 15, bad: 3, slow: 1 });
    expect(minute!.latency.reduce((s, x) => s + x, 0)).toBe(3);
    expect(await b.guardrails.prune(70_000)).toBe(3); // one minute row, two decisions
    expect(await b.guardrails.minutes({})).toEqual([]);
    expect(await b.guardrails.decisions({})).toEqual([]);
    await b.close();
  });
});
