import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS, emptyHistogram, observe } from '../../../src/stats/histogram.js';
import { openSqliteStores } from '../../../src/storage/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-guardrails-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hist = (...ms: number[]) => {
  const h = emptyHistogram(LATENCY_BOUNDS);
  for (const v of ms) observe(h, LATENCY_BOUNDS, v);
  return h;
};

describe('guardrails store (SQLite file)', () => {
  const file = join(dir, 'g.db');

  it('keeps state, decisions and minute rollups across a close and reopen', () => {
    const a = openSqliteStores(file);
    a.guardrails.saveState('checkout', { phase: 'rolled-back', stepIndex: 2 }, 1000);
    a.guardrails.saveState('checkout', { phase: 'rolled-back', stepIndex: 3 }, 2000);
    a.guardrails.appendDecision({
      at: 1000,
      route: 'checkout',
      arm: 'variant',
      action: 'step',
      fromPercent: 1,
      toPercent: 5,
      rule: 'pass-slow',
      reason: 'ok',
      evidence: { ucb: 1.1 },
    });
    a.guardrails.appendDecision({
      at: 2000,
      route: 'checkout',
      arm: 'variant',
      action: 'rollback',
      fromPercent: 5,
      toPercent: 0,
      rule: 'sequential-ratio',
      reason: 'bad',
      evidence: { e: 150 },
      actor: undefined,
    });
    a.guardrails.writeMinutes([{ minute: 60_000, route: 'checkout', arm: 'variant', requests: 10, bad: 1, slow: 0, latency: hist(5, 7) }]);
    a.guardrails.writeMinutes([{ minute: 60_000, route: 'checkout', arm: 'variant', requests: 5, bad: 2, slow: 1, latency: hist(900) }]);
    a.close();

    const b = openSqliteStores(file);
    expect(b.guardrails.loadStates()).toEqual(new Map([['checkout', { phase: 'rolled-back', stepIndex: 3 }]]));
    expect(b.guardrails.decisions({ route: 'checkout' }).map((d) => d.action)).toEqual(['rollback', 'step']);
    expect(b.guardrails.decisions({ route: 'checkout', limit: 1 })[0]!.evidence).toEqual({ e: 150 });
    const [minute] = b.guardrails.minutes({ route: 'checkout' });
    expect(minute).toMatchObject({ minute: 60_000, requests: 15, bad: 3, slow: 1 });
    expect(minute!.latency.reduce((s, n) => s + n, 0)).toBe(3);
    expect(b.guardrails.prune(70_000)).toBe(3); // one minute row, two decisions
    expect(b.guardrails.minutes({})).toEqual([]);
    expect(b.guardrails.decisions({})).toEqual([]);
    b.close();
  });
});
