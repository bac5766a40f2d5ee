// The admin access and shutdown keys: read/write tokens, the metrics listener, drainDelay.
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText } from '../../../src/config/load.js';

const BASE = 'upstreams: { a: http://127.0.0.1:9001 }\n';
const load = (text: string) => loadConfigText(`${BASE}${text}`, 'f.yaml', {});
const errors = (text: string) => {
  const r = load(text);
  return r.ok ? [] : r.errors.map(formatConfigError);
};

describe('admin tokens, metrics listener, drainDelay', () => {
  it('accepts split tokens beyond loopback and a separate metrics listener', () => {
    const r = load('admin: { listen: 0.0.0.0:9901, readToken: r, writeToken: w }\nmetrics: { listen: 0.0.0.0:9902 }\ndrainDelay: 5s\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.admin).toMatchObject({ readToken: 'r', writeToken: 'w' });
    expect(r.config.metrics?.listen).toEqual({ host: '0.0.0.0', port: 9902 });
    expect(r.config.drainDelay).toBe(5000);
  });

  it('defaults: no metrics listener, no drain delay', () => {
    const r = load('');
    expect(r.ok && r.config.metrics).toBeUndefined();
    expect(r.ok && r.config.drainDelay).toBe(0);
  });

  it('refuses an exposed admin with only a read token, and a read token without any write credential', () => {
    expect(errors('admin: { listen: 0.0.0.0:9901, readToken: r }\n')).toEqual([
      'f.yaml:2:18 admin.listen: admin listens beyond loopback, so admin.token (or admin.writeToken and admin.readToken) is required',
      'f.yaml:2:43 admin.readToken: admin.readToken needs admin.writeToken (or admin.token) too, or nothing could act or reload',
    ]);
  });

  it('refuses a metrics listener on the admin or proxy port', () => {
    expect(errors('listen: 127.0.0.1:8080\nmetrics: { listen: 127.0.0.1:9901 }\n')).toEqual([
      'f.yaml:3:20 metrics.listen: metrics.listen must differ from admin.listen',
    ]);
    expect(errors('listen: 127.0.0.1:8080\nmetrics: { listen: 0.0.0.0:8080 }\n')).toEqual([
      'f.yaml:3:20 metrics.listen: metrics.listen must differ from listen',
    ]);
  });
});

describe('admin.traceUrl', () => {
  it('accepts an http(s) template with {traceId}', () => {
    const r = load('admin: { traceUrl: "https://jaeger.example/trace/{traceId}" }\n');
    expect(r.ok && r.config.admin.traceUrl).toBe('https://jaeger.example/trace/{traceId}');
  });

  it('refuses a template without {traceId} or not http(s), with line and column', () => {
    expect(errors('admin: { traceUrl: "https://jaeger.example/trace/" }\n')).toEqual([
      'f.yaml:2:20 admin.traceUrl: traceUrl must contain {traceId} where the trace id goes',
    ]);
    expect(errors('admin: { traceUrl: "javascript:alert({traceId})" }\n')).toEqual([
      'f.yaml:2:20 admin.traceUrl: traceUrl must be an http(s) URL, e.g. https://jaeger.example/trace/{traceId}',
    ]);
  });
});
