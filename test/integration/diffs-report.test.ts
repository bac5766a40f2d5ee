// `fieldlab diffs --config` against a running proxy's store: real upstreams, real mirroring, and the
// CLI reading the same SQLite file while the proxy still has it open (WAL lets both).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDiffs } from '../../src/cli/diffs.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

function cart(fee: number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const text = JSON.stringify({ url: req.url, total: 20 + fee, ts: Math.random() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
  };
}

describe('fieldlab diffs on a live store', () => {
  let control: TestUpstream, dark: TestUpstream, fl: TestFieldlab;
  beforeAll(async () => {
    control = await startUpstream('control', cart(0));
    dark = await startUpstream('dark', cart(2));
    fl = await startFieldlab(`
upstreams: { control: ${control.url}, dark: ${dark.url} }
routes:
  - name: shop
    match: { path: /cart/* }
    arms: { control: control }
    shadow: [{ to: dark }]
`);
    for (let i = 0; i < 40; i++) {
      const res = await request(`${fl.url}/cart/${(i % 4) + 1}`);
      await res.body.text();
    }
    const end = Date.now() + 10_000;
    while (fl.app.mirrorStats().compare.compared < 40 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await fl.app.flushDiffs();
  });
  afterAll(async () => {
    await fl.close();
    await control.close();
    await dark.close();
  });

  it('reports the regression as real and trips the gate, while the proxy keeps the file open', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDiffs(['--config', fl.file, '--since', '1h', '--fail-on', '1%'], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: {},
      isTTY: false,
    });
    const text = out.join('\n');
    expect(err).toEqual([]);
    expect(code).toBe(1);
    expect(text).toContain('#1 GET /cart/:id  route shop → shadow dark · 40 pairs');
    expect(text).toMatch(/REAL .* body:\$\.total/);
    expect(text).toMatch(/noise .* body:\$\.ts/);
    expect(text).toContain('primary 20  shadow 22');
    expect(text).toMatch(/FAIL — 1 real field above 1\.0%/);
  });
});
