// `fieldlab replay` flags: required ones, values checked strictly (a CI typo exits 2, never replays something else).
import { describe, expect, it } from 'vitest';
import { checkReplayArgs, REPLAY } from '../../../src/cli/replay-args.js';
import { parseFlags } from '../../../src/cli/flags.js';

const NOW = Date.parse('2026-12-02T10:00:00Z');
function check(args: string[]) {
  const parsed = parseFlags(args, REPLAY.flags);
  if (!parsed.ok) return parsed;
  return checkReplayArgs(parsed.args, NOW);
}
const base = ['--route', 'shop', '--to', 'http://staging:8080/'];

describe('checkReplayArgs', () => {
  it('reads every flag', () => {
    const r = check([
      ...base,
      '--since',
      '2h',
      '--segment',
      'arm=variant,units=0-10%',
      '--rate',
      '25/s',
      '--concurrency',
      '2',
      '--timeout',
      '2s',
      '--header',
      'Authorization: Bearer staging',
      '--limit',
      '100',
      '--fail-on',
      '1%',
      '--strict',
    ]);
    expect(r).toEqual({
      ok: true,
      options: expect.objectContaining({
        route: 'shop',
        to: 'http://staging:8080',
        since: NOW - 7_200_000,
        segment: { arm: 'variant', buckets: [0, 1000] },
        rate: 25,
        concurrency: 2,
        timeoutMs: 2000,
        header: ['authorization', 'Bearer staging'],
        limit: 100,
        failOn: 0.01,
        strict: true,
        checkpoint: '.fieldlab-replay/shop.json',
        resume: false,
      }),
    });
  });

  it.each([
    [['--to', 'http://h:1'], /missing --route/],
    [['--route', 'r'], /missing --to/],
    [['--route', 'r', '--to', 'ftp://h'], /not an http/],
    [['--route', 'r', '--to', 'http://h:1/base'], /has a path/],
    [[...base, '--rate', 'fast'], /invalid --rate/],
    [[...base, '--rate', '0/s'], /invalid --rate/],
    [[...base, '--concurrency', '0'], /invalid --concurrency/],
    [[...base, '--since', 'yesterday-ish'], /invalid --since/],
    [[...base, '--header', 'no colon'], /invalid --header/],
    [[...base, '--strict'], /only applies with --fail-on/],
    [[...base, '--config', 'a.yaml', '--store', 'sqlite:x.db'], /not both/],
    [[...base, '--segment', 'units=1'], /percent range/],
  ])('refuses %j', (args, message) => {
    const r = check(args);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});
