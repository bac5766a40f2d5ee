// The README's error table is the operator's reference: it must list exactly the registry's codes.
// And every code comes from the registry: a string literal spelling an FL_ code anywhere in src/ but
// errors.ts is a code that could drift from (or miss) the registry.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { allErrors } from '../../src/errors.js';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * `file:line 'text'` for each string or template literal that is (or starts) an FL_ code. Comments
 * don't count, nor prose that names a code, like a metric's help text.
 */
function flLiterals(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const hits: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) &&
      /^FL_/.test(node.text)
    ) {
      hits.push(`${relative(SRC, file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} '${node.text}'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return hits;
}

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
  it('is the only place an FL_ code is spelled out: no FL_ string literal elsewhere in src/', () => {
    const files = sourceFiles(SRC).filter((f) => relative(SRC, f) !== 'errors.ts');
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap(flLiterals)).toEqual([]);
  });
  it('catches a code literal in code, not in a comment or in prose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-literals-'));
    const file = join(dir, 'x.ts');
    writeFileSync(file, "// 'FL_X'\nconst a = \"FL_Y\";\nconst b = `FL_${a}`;\nconst c = 'ends as a 504 (FL_Z)';\n");
    expect(flLiterals(file).map((h) => h.replace(/^.*x\.ts/, 'x.ts'))).toEqual(["x.ts:2 'FL_Y'", "x.ts:3 'FL_'"]);
    rmSync(dir, { recursive: true });
  });
});
