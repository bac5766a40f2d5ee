// The `fieldlab` entry point as users meet it: the built CLI in a child process.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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

  it('--help lists every flag any command reads', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    // Flags are read as flag(args, 'name'), '--name' literals, or listed in a command's flag table.
    const flags = new Set<string>();
    for (const file of readdirSync('src/cli').filter((f) => f.endsWith('.ts'))) {
      const src = readFileSync(join('src/cli', file), 'utf8');
      for (const m of src.matchAll(/flag\(args, '([a-z-]+)'\)/g)) flags.add(m[1]!);
      for (const m of src.matchAll(/'--([a-z][a-z-]+)'/g)) flags.add(m[1]!);
      for (const m of src.matchAll(/^const (?:VALUED|BOOLEAN) = \[([^\]]*)\]/gm))
        for (const n of m[1]!.matchAll(/'([a-z-]+)'/g)) flags.add(n[1]!);
    }
    expect(flags.size).toBeGreaterThan(10);
    const missing = [...flags].filter((f) => !help.stdout.includes(`--${f}`));
    expect(missing).toEqual([]);
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
