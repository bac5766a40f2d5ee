// The help is built from the commands' flag tables; these tests hold the tables, the parsers, the
// help and README's CLI section to each other.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, helpText } from '../../../src/cli/commands.js';
import { DIFFS_HELP } from '../../../src/cli/diffs-args.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { commandHelp } from '../../../src/cli/flags.js';
import type { CliIo } from '../../../src/cli/start.js';

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out: (s) => out_.push(s), err: (s) => err_.push(s), env: {}, out_, err_ };
}

describe('fieldlab --help and the flag tables', () => {
  it('the help lists every flag of every command, under that command', () => {
    const help = helpText();
    for (const { spec } of COMMANDS) {
      const start = help.indexOf(`  fieldlab ${spec.name}`);
      expect(start, spec.name).toBeGreaterThan(-1);
      const next = COMMANDS.map((c) => help.indexOf(`  fieldlab ${c.spec.name}`, start + 1)).filter((i) => i > start);
      const block = help.slice(start, Math.min(help.indexOf('  fieldlab --version'), ...next));
      for (const [name, flag] of Object.entries(spec.flags)) {
        expect(block, `${spec.name} --${name}`).toContain(`[--${name}${flag.value ? ` ${flag.value}` : ''}]`);
        expect(block, `${spec.name} --${name}`).toContain(flag.help);
      }
    }
  });

  it('every --flag the help or a command help mentions is in that command table', () => {
    for (const { spec } of COMMANDS) {
      const mentioned = [...commandHelp(spec).matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1]!);
      expect(
        mentioned.filter((f) => f !== 'help' && !(f in spec.flags)),
        spec.name,
      ).toEqual([]);
    }
    const diffs = COMMANDS.find((c) => c.spec.name === 'diffs')!.spec;
    const documented = new Set([...DIFFS_HELP.matchAll(/^ {2}--([a-z][a-z-]+)/gm)].map((m) => m[1]!));
    expect([...documented].filter((f) => f !== 'help').sort()).toEqual(Object.keys(diffs.flags).sort());
  });

  it('every flag the sources read is in a table (no flag is read without being parsed and documented)', () => {
    const tables = new Set(COMMANDS.flatMap((c) => Object.keys(c.spec.flags)));
    const read = new Set<string>();
    for (const file of readdirSync('src/cli').filter((f) => f.endsWith('.ts'))) {
      const src = readFileSync(join('src/cli', file), 'utf8');
      for (const m of src.matchAll(/flag\(args, '([a-z-]+)'\)/g)) read.add(m[1]!);
      for (const m of src.matchAll(/(?:values|set)\.(?:get|has)\('([a-z-]+)'\)/g)) read.add(m[1]!);
      for (const m of src.matchAll(/args\.includes\('--([a-z-]+)'\)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((f) => f !== 'help' && !tables.has(f))).toEqual([]);
  });

  it('every command refuses a flag not in its table with exit 2 and its usage line', async () => {
    for (const { spec, names, run } of COMMANDS) {
      const io = capture();
      const code = await run(['--definitely-not-a-flag'], io, names[0]!);
      expect(code, spec.name).toBe(2);
      expect(io.err_.join('\n'), spec.name).toMatch(new RegExp(`^fieldlab ${names[0]}: unknown flag --definitely-not-a-flag`));
    }
  });

  it('every command prints its own help for --help, exit 0', async () => {
    for (const { spec, names, run } of COMMANDS) {
      if (spec.name === 'diffs') continue; // diffs has its long DIFFS_HELP (checked above)
      const io = capture();
      expect(await run(['--help'], io, names[0]!), spec.name).toBe(0);
      expect(io.out_.join('\n')).toContain('usage: fieldlab ');
    }
  });
});

describe('exit codes', () => {
  it("README's CLI section has the exit-code table, in step with EXIT_CODES", () => {
    const readme = readFileSync('README.md', 'utf8');
    const cli = readme.slice(readme.indexOf('\n## CLI'), readme.indexOf('\n## ', readme.indexOf('\n## CLI') + 1));
    const rows = [...cli.matchAll(/^\| `(\d)` \| ([^|]+) \|/gm)].map((m) => Number(m[1]));
    expect(rows).toEqual(EXIT_CODES.map((e) => e.code));
    for (const e of EXIT_CODES) expect(helpText()).toContain(`  ${e.code}  ${e.meaning}`);
  });
});
