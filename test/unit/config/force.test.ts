// The `force:` key: shorthand and block forms, and the validator refusing an unlocked override on a
// proxy that listens beyond loopback (any client could pick its arm there).
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText } from '../../../src/config/load.js';

const cfg = (listen: string, force: string) => `listen: ${listen}
upstreams: { a: http://127.0.0.1:9001, b: http://127.0.0.1:9002 }
routes:
  - name: r
    arms: { control: a, variant: b }
    force: ${force}
`;

const errorsOf = (text: string): string[] => {
  const r = loadConfigText(text, 'f.yaml', {});
  return r.ok ? [] : r.errors.map(formatConfigError);
};

describe('force config', () => {
  it('refuses an unlocked override when the proxy listens beyond loopback, naming the fix', () => {
    for (const force of ['header:x-fieldlab-arm', '{ from: "cookie:fl_arm" }'])
      expect(errorsOf(cfg('0.0.0.0:8080', force))).toEqual([
        expect.stringMatching(
          /^f\.yaml:6:\d+ routes\[0\]\.force: the proxy listens on 0\.0\.0\.0, beyond loopback, so any client could pick this route's arm with .*force\.allowFrom.*force\.secret/,
        ),
      ]);
  });

  it('accepts it on loopback, or locked by allowFrom or a secret (also wide open on purpose)', () => {
    expect(errorsOf(cfg('127.0.0.1:8080', 'header:x-fieldlab-arm'))).toEqual([]);
    expect(errorsOf(cfg('0.0.0.0:8080', '{ from: header:x-a, allowFrom: [10.0.0.0/8] }'))).toEqual([]);
    expect(errorsOf(cfg('0.0.0.0:8080', '{ from: header:x-a, secret: qa-secret-0123456789 }'))).toEqual([]);
    expect(errorsOf(cfg('0.0.0.0:8080', '{ from: header:x-a, allowFrom: [0.0.0.0/0, "::/0"] }'))).toEqual([]);
  });

  it('checks the block: CIDRs, secret length, unknown keys', () => {
    expect(errorsOf(cfg('127.0.0.1:1', '{ from: header:x-a, allowFrom: [10.0.0.0/33] }'))).toEqual([
      expect.stringContaining('routes[0].force.allowFrom[0]: invalid CIDR'),
    ]);
    expect(errorsOf(cfg('127.0.0.1:1', '{ from: header:x-a, secret: short }'))).toEqual([
      expect.stringContaining('at least 16 characters'),
    ]);
    expect(errorsOf(cfg('127.0.0.1:1', '{ from: header:x-a, allowfrom: [10.0.0.0/8] }')).join('\n')).toContain('allowfrom');
  });
});
