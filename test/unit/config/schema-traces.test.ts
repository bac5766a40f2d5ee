// The `traces:` bounds: defaults when omitted, and a bad value reported at file:line:col.
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText } from '../../../src/config/load.js';

const UP = 'upstreams: { a: "http://127.0.0.1:1" }\nroutes: [{ name: r, arms: { control: a } }]\n';

describe('traces: bounds', () => {
  it('defaults maxSpans, maxPending and profileOps', () => {
    const r = loadConfigText(`${UP}traces: { listen: 127.0.0.1:0 }\n`, 'f.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.traces).toMatchObject({ maxSpans: 1_000_000, maxPending: 5000, profileOps: 64 });
  });

  it('refuses a non-positive bound with its position', () => {
    const r = loadConfigText(`${UP}traces: { listen: 127.0.0.1:0, profileOps: 0, maxPending: 2 }\n`, 'f.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map(formatConfigError)).toEqual(['f.yaml:3:44 traces.profileOps: must be greater than 0']);
  });
});
