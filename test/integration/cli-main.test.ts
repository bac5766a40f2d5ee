// The `fieldlab` entry point as users meet it: the built CLI in a child process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { usageLine } from '../../src/cli/flags.js';
import { START } from '../../src/cli/start.js';

const CLI = resolve('dist/src/cli/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });

describe('fieldlab (built CLI)', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = run(flag);
      expect(r.stdout).toBe(`fieldlab ${version}\n`);
      expect(r.status).toBe(0);
    }
  });

  it('--help lists every flag of every command (the tables in src/cli; commands.test.ts checks them against the sources)', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    const flags = COMMANDS.flatMap((c) => Object.keys(c.spec.flags));
    expect(flags.length).toBeGreaterThan(20);
    expect(flags.filter((f) => !help.stdout.includes(`--${f}`))).toEqual([]);
  });

  it('start refuses an unknown flag with exit 2 before loading anything', () => {
    const r = run('start', '--no-wacth');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`fieldlab start: unknown flag --no-wacth, did you mean --no-watch?\nusage: ${usageLine('start', START.flags)}\n`);
    expect(r.stderr).toContain('[--workers N|auto]');
  });

  it('an unknown command exits 2 with the help on stderr', () => {
    const r = run('strat');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "strat"');
  });

  it('npm start builds only what the CLI needs (the lean build), not tests and benchmarks', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.scripts.start).toBe('npm run build:app --silent && node dist/src/cli/main.js demo');
    expect(pkg.scripts.prepare).toContain('tsc -b src/tsconfig.json');
    expect(pkg.bin.fieldlab).toBe('dist/src/cli/main.js');
  });
});
