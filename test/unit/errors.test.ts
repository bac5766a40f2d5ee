// The README's error table is the operator's reference: it must list exactly the registry's codes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allErrors } from '../../src/errors.js';

describe('error registry', () => {
  it('matches the README error table code for code and status', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('\n## ', readme.indexOf('## Error codes') + 1));
    const rows = [...section.matchAll(/^\| `(FL_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows).toEqual(allErrors().map((e) => `${e.code} ${e.status}`));
  });
  it('uses unique FL_ codes', () => {
    const codes = allErrors().map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^FL_[A-Z_]+$/);
  });
});
