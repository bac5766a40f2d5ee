// Progress: a bar redrawn in place on a terminal, at most one plain line per 10% elsewhere.
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../src/replay/progress.js';

describe('createProgress', () => {
  it('redraws one line on a TTY and ends it', () => {
    const out: string[] = [];
    const p = createProgress(4, { isTTY: true, write: (s) => out.push(s) }, 4);
    p.update(1, 0);
    p.update(4, 1);
    p.end();
    expect(out).toEqual(['\r[#...] 1/4 (25%)', '\r[####] 4/4 (100%), 1 candidate errors', '\n']);
  });

  it('writes plain lines, one per tenth, without carriage returns, when not a TTY', () => {
    const out: string[] = [];
    const p = createProgress(100, { isTTY: false, write: (s) => out.push(s) });
    for (let i = 1; i <= 100; i++) p.update(i, 0);
    p.end();
    expect(out).toHaveLength(11); // 0%, 10%, …, 100%
    expect(out.every((l) => !l.includes('\r') && l.startsWith('replay: '))).toBe(true);
    expect(out.at(-1)).toBe('replay: 100/100 (100%)\n');
  });
});
