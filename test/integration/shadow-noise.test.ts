// Noise learned from repeated primary answers must not be diluted when a route has several shadows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { DiffReport } from '../../src/compare/report.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('repeat noise with two shadows', () => {
  let ups: TestUpstream[];
  let fl: TestFieldlab;
  beforeAll(async () => {
    const build = (_req: unknown, res: import('node:http').ServerResponse) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ total: 10, ts: randomUUID() }));
    };
    ups = await Promise.all(['control', 'a', 'b'].map((n) => startUpstream(n, build)));
    fl = await startFieldlab(`
upstreams: { control: ${ups[0]!.url}, a: ${ups[1]!.url}, b: ${ups[2]!.url} }
routes:
  - name: r
    arms: { control: control }
    shadow: [{ to: a }, { to: b }]
`);
  });
  afterAll(async () => {
    await fl.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('keeps a random field as noise for every shadow', async () => {
    for (let i = 0; i < 60; i++) await (await request(`${fl.url}/carts/${i % 6}`)).body.text();
    for (let i = 0; i < 100 && fl.app.mirrorStats().compare.compared < 120; i++) await new Promise((r) => setTimeout(r, 20));
    await fl.app.flushDiffs();
    const report = (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
    expect(report.endpoints.map((e) => e.shadow).sort()).toEqual(['a', 'b']);
    for (const e of report.endpoints) {
      const ts = e.fields.find((f) => f.field === 'body:$.ts');
      expect(ts?.verdict).toBe('noise');
      expect(ts?.noiseDiffered).toBe(ts?.noiseCompared);
    }
  });
});
