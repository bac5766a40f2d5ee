// `fieldlab validate` as users run it: the built CLI in a child process, real files, exact stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { runValidate } from '../../src/cli/validate.js';

const CLI = resolve('dist/src/cli/main.js');
const VALID = `listen: 127.0.0.1:0
upstreams:
  a: http://127.0.0.1:9001
  b: [http://127.0.0.1:9002, http://127.0.0.1:9003]
routes:
  - name: r
    match: { path: /api/* }
    arms: { control: a, variant: b }
    split: { variant: 10 }
`;

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function validate(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'validate', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fieldlab validate (built CLI)', () => {
  it('prints an ok line and exits 0 for a valid file', () => {
    const file = write('valid.yaml', VALID);
    expect(validate(file)).toEqual({ code: 0, stdout: `${file}: ok (1 route, 2 upstreams)\n`, stderr: '' });
  });

  it.each([
    [
      'bad YAML',
      VALID.replace('{ path: /api/* }', '{ path: /api/*'),
      '8:5 invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    ],
    ['unknown key', VALID.replace('    split:', '    spilt:'), '9:5 routes[0].spilt: unknown key "spilt", did you mean "split"?'],
    [
      'bad percent',
      VALID.replace('variant: 10', 'variant: 150'),
      '9:23 routes[0].split.variant: invalid percent "150" (must be between 0 and 100)',
    ],
    ['dangling upstream', VALID.replace('control: a', 'control: nope'), '8:22 routes[0].arms.control: unknown upstream "nope"'],
  ])('%s: exits 1 with the located error on stderr', (name, text, line) => {
    const file = write(`${name.replace(/ /g, '-')}.yaml`, text);
    expect(validate(file)).toEqual({ code: 1, stdout: '', stderr: `${file}:${line}\n` });
  });

  it('prints every error, one per line, sorted by position', () => {
    const file = write('several.yaml', VALID.replace('    split:', '    spilt:').replace('listen: 127.0.0.1:0', 'lisen: 127.0.0.1:0'));
    expect(validate(file).stderr).toBe(
      `${file}:1:1 lisen: unknown key "lisen", did you mean "listen"?\n` +
        `${file}:9:5 routes[0].spilt: unknown key "spilt", did you mean "split"?\n`,
    );
  });

  it('exits 2 with usage when FILE is missing', () => {
    const r = validate();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: fieldlab validate FILE');
  });
});

describe('runValidate (in process)', () => {
  function run(args: string[], env: Record<string, string | undefined> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runValidate(args, { out: (s) => out.push(s), err: (s) => err.push(s), env });
    return { code, out, err };
  }

  it('reads environment variables from io.env', () => {
    const file = write('env.yaml', VALID.replace('127.0.0.1:0', '${LISTEN}'));
    expect(run([file], { LISTEN: '127.0.0.1:0' })).toEqual({ code: 0, out: [`${file}: ok (1 route, 2 upstreams)`], err: [] });
    expect(run([file])).toEqual({ code: 1, out: [], err: [`${file}:1:9 listen: environment variable LISTEN is not set`] });
  });

  it('reports a missing file at 1:1', () => {
    const file = join(dir, 'missing.yaml');
    expect(run([file])).toEqual({ code: 1, out: [], err: [`${file}:1:1 cannot read config: file not found`] });
  });

  it('checks several files and fails if any fails', () => {
    const good = write('good.yaml', VALID);
    const bad = write('bad.yaml', VALID.replace('control: a', 'control: nope'));
    const r = run([good, bad]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([`${good}: ok (1 route, 2 upstreams)`]);
    expect(r.err).toEqual([`${bad}:8:22 routes[0].arms.control: unknown upstream "nope"`]);
  });

  it('rejects missing arguments and unknown options with exit 2', () => {
    expect(run([]).code).toBe(2);
    expect(run(['--strict', 'x.yaml']).code).toBe(2);
  });
});
