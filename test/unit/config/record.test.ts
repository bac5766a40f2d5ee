// The `record:` key and `store.recordings`: defaults, and every mistake reported at its place in one pass.
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText } from '../../../src/config/load.js';

const cfg = (record: string, store = 'sqlite::memory:') => `store: ${store}
upstreams: { a: http://127.0.0.1:9001 }
routes:
  - name: r
    arms: { control: a }
    record: ${record}
`;

describe('record config', () => {
  it('fills the defaults: 1% of units, 64 KiB bodies, 10,000 samples, 24 h, the example redaction rules', () => {
    const r = loadConfigText(cfg('{}'), 'f.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.routes[0]!.record).toEqual({
      percent: 1,
      by: 'unit',
      maxBody: 64 * 1024,
      maxSamples: 10_000,
      maxBytes: 64 * 2 ** 20,
      maxBytesPerSecond: 4 * 2 ** 20,
      retention: 86_400_000,
      redact: ['header:authorization', 'header:cookie', 'header:set-cookie'],
    });
    expect(r.config.store.recordings).toEqual({ maxSamples: 100_000, maxBytes: 512 * 2 ** 20 });
  });

  it('reports every mistake with its location, in one pass', () => {
    const r = loadConfigText(
      cfg(
        '{ percent: 150, by: unit-ish, redact: [cookie], maxSamples: 0, retention: soon, colour: red }',
        '{ url: "sqlite::memory:", recordings: { maxBytes: lots } }',
      ),
      'f.yaml',
      {},
    );
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.map(formatConfigError).join('\n');
    for (const where of [
      'routes[0].record.percent',
      'routes[0].record.by',
      'routes[0].record.redact[0]',
      'routes[0].record.maxSamples',
      'routes[0].record.retention',
      'routes[0].record',
      'store.recordings.maxBytes',
    ])
      expect(errors).toContain(where);
    expect(errors).toMatch(/colour/);
    expect(errors).toMatch(/use header:NAME or body:\$\.json\.path/);
  });

  it('bounds maxBody (captures in flight share a fixed budget)', () => {
    const r = loadConfigText(cfg('{ maxBody: 32MiB }'), 'f.yaml', {});
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([
      expect.stringMatching(/routes\[0\]\.record\.maxBody: record\.maxBody is at most 16MiB/),
    ]);
  });
});
