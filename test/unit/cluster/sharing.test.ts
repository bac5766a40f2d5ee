// How workers share the port: reusePort where Linux and Node support it, node:cluster elsewhere;
// asking for reusePort where it can't work is a clear error, not a second worker failing to bind.
import { describe, expect, it } from 'vitest';
import { chooseSharing, reusePortSupported } from '../../../src/cluster/sharing.js';
import { nextRestart, CRASH_LOOP_LIMIT, MAX_DELAY_MS, STABLE_MS } from '../../../src/cluster/backoff.js';

describe('reusePortSupported', () => {
  it('needs Linux and Node ≥ 22.12 (or ≥ 23.1)', () => {
    expect(reusePortSupported('linux', 'v20.20.2')).toBe(false);
    expect(reusePortSupported('linux', 'v22.11.0')).toBe(false);
    expect(reusePortSupported('linux', 'v22.12.0')).toBe(true);
    expect(reusePortSupported('linux', 'v23.0.0')).toBe(false);
    expect(reusePortSupported('linux', 'v23.1.0')).toBe(true);
    expect(reusePortSupported('linux', 'v24.3.1')).toBe(true);
    expect(reusePortSupported('darwin', 'v24.3.1')).toBe(false);
    expect(reusePortSupported('linux', 'garbage')).toBe(false);
  });
});

describe('chooseSharing', () => {
  it('auto picks reuseport where it works and cluster elsewhere', () => {
    expect(chooseSharing(undefined, 'linux', 'v22.12.0')).toEqual({ ok: true, sharing: 'reuseport' });
    expect(chooseSharing('auto', 'linux', 'v20.20.2')).toEqual({ ok: true, sharing: 'cluster' });
    expect(chooseSharing('cluster', 'linux', 'v24.0.0')).toEqual({ ok: true, sharing: 'cluster' });
    expect(chooseSharing('reuseport', 'linux', 'v24.0.0')).toEqual({ ok: true, sharing: 'reuseport' });
  });

  it('refuses reuseport where it cannot work, and unknown values', () => {
    expect(chooseSharing('reuseport', 'linux', 'v20.20.2')).toMatchObject({ ok: false, error: expect.stringContaining('Node ≥ 22.12') });
    expect(chooseSharing('threads', 'linux', 'v24.0.0')).toMatchObject({ ok: false, error: expect.stringContaining('"threads"') });
  });
});

describe('nextRestart', () => {
  it('doubles the delay with each crash in a row, up to a cap, and gives a crash loop up', () => {
    const delays: number[] = [];
    let crashes = 0;
    for (;;) {
      const n = nextRestart(crashes, 10);
      crashes = n.crashes;
      if ('giveUp' in n) break;
      delays.push(n.delayMs);
    }
    expect(crashes).toBe(CRASH_LOOP_LIMIT);
    expect(delays[0]).toBe(250);
    expect(delays[1]).toBe(500);
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1]!)).toBe(true);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_DELAY_MS);
  });

  it('a worker that stayed up is not in a crash loop', () => {
    expect(nextRestart(CRASH_LOOP_LIMIT - 1, STABLE_MS)).toEqual({ crashes: 1, delayMs: 250 });
  });
});
