// The skip-reason registry is the one source of the reasons: README's table lists exactly its codes,
// stages and descriptions, every reason has a description, and no two reasons differ only in
// punctuation (the old `body_too_large` / `body-too-large` confusion).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SKIP_REASONS } from '../../../src/compare/report-format.js';
import { allSkipReasons, describeSkip } from '../../../src/mirror/skip-reasons.js';

describe('skip-reason registry', () => {
  it('matches the README table reason for reason, stage and description', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('**Skip reasons**');
    const section = readme.slice(start, readme.indexOf('\n## ', start));
    const rows = [...section.matchAll(/^\| `([^`]+)` \| (mirror|compare) \| (.+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(rows).toEqual(allSkipReasons().map((r) => `${r.code} ${r.stage} ${r.description}`));
  });

  it('describes every reason, and names that differ only in punctuation are not allowed', () => {
    const all = allSkipReasons();
    for (const r of all) expect(r.description.length).toBeGreaterThan(10);
    const folded = all.map((r) => r.code.replace(/[-_]/g, ''));
    expect(new Set(folded).size).toBe(folded.length);
  });

  it('feeds the report legend and answers unknown (older) reasons with nothing', () => {
    expect(SKIP_REASONS).toEqual(Object.fromEntries(allSkipReasons().map((r) => [r.code, r.description])));
    expect(describeSkip('reload')).toMatch(/reload/);
    expect(describeSkip('no-such-reason')).toBe('');
    expect(describeSkip('toString')).toBe('');
  });
});
