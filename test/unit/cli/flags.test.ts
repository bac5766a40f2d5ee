// The one flag parser every command uses: strict, with a did-you-mean, driven by the command's table.
import { describe, expect, it } from 'vitest';
import { commandHelp, type CommandSpec, parseFlags, readFlags, usageLine } from '../../../src/cli/flags.js';

const SPEC: CommandSpec = {
  name: 'try',
  summary: 'a command for tests',
  positional: 'ROUTE',
  positionals: 1,
  flags: { config: { value: 'FILE', help: 'the config' }, 'no-watch': { help: 'no watching' } },
};

describe('parseFlags', () => {
  it('reads --name value, --name=value, booleans and positionals', () => {
    const r = parseFlags(['r1', '--config', 'a.yaml', '--no-watch'], SPEC.flags, { max: 1 });
    expect(r.ok && [Object.fromEntries(r.args.values), [...r.args.set], r.args.positionals]).toEqual([
      { config: 'a.yaml' },
      ['no-watch'],
      ['r1'],
    ]);
    const eq = parseFlags(['--config=b.yaml'], SPEC.flags);
    expect(eq.ok && eq.args.values.get('config')).toBe('b.yaml');
  });

  it('refuses unknown flags (with a did-you-mean), missing values, repeats, values on booleans and extra arguments', () => {
    const error = (...args: string[]) => {
      const r = parseFlags(args, SPEC.flags, { max: 1 });
      return r.ok ? undefined : r.error;
    };
    expect(error('--confg', 'x')).toBe('unknown flag --confg, did you mean --config?');
    expect(error('--bogus')).toBe('unknown flag --bogus');
    expect(error('--config')).toBe('--config needs a value (FILE)');
    expect(error('--config', '--no-watch')).toBe('--config needs a value (FILE)');
    expect(error('--config', 'a', '--config', 'b')).toBe('--config given twice');
    expect(error('--no-watch=1')).toBe('--no-watch takes no value');
    expect(error('a', 'b')).toBe('unexpected argument "b"');
    expect(error('-x')).toBe('unknown option "-x"');
  });

  it('always understands --help and -h', () => {
    for (const h of ['--help', '-h']) {
      const r = parseFlags([h], {});
      expect(r.ok && r.args.set.has('help')).toBe(true);
    }
  });
});

describe('readFlags', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out: (s: string) => out.push(s), err: (s: string) => err.push(s), lines: { out, err } };
  };

  it('exits 2 with the usage line on a usage error', () => {
    const x = io();
    expect(readFlags(SPEC, ['--nope'], x)).toBe(2);
    expect(x.lines.err.join('\n')).toBe('fieldlab try: unknown flag --nope\nusage: fieldlab try ROUTE [--config FILE] [--no-watch]');
  });

  it('prints the command help for --help and returns 0', () => {
    const x = io();
    expect(readFlags(SPEC, ['--help'], x)).toBe(0);
    expect(x.lines.out.join('\n')).toBe(commandHelp(SPEC));
    expect(commandHelp(SPEC)).toContain('--config FILE  the config');
    expect(usageLine('try', SPEC.flags, 'ROUTE')).toBe('fieldlab try ROUTE [--config FILE] [--no-watch]');
  });
});
