// Replay re-creates `noiseFrom` noise: with real upstreams (control, a second copy of control, a
// changed build), writes are mirrored live and recorded; `fieldlab replay` sends each recorded
// request to the candidate and, as live mirroring does, to the copy — so fields only a copy can
// measure (on a write, where repeats teach nothing) get the live verdicts instead of "unmeasured".
// A method the shadow does not mirror never reaches the copy.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport } from '../../src/compare/report.js';
import { liveReport, postOrders, replayJson, verdicts } from '../helpers/replay.js';
import { startFieldlab, startUpstream, tempDir, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

/** An order service: v2 bumps `version`; every answer carries a fresh `ts`. */
function build(version: 'v1' | 'v2') {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const qty = (JSON.parse(body || '{}') as { qty?: number }).qty ?? 0;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ created: true, qty, version, ts: randomUUID() }));
    });
  };
}

describe('fieldlab replay with a noiseFrom copy', () => {
  let v1: TestUpstream, copy: TestUpstream, v2: TestUpstream;
  let fl: TestFieldlab;
  const tmp = tempDir();
  let live: DiffReport;
  const replays = (u: TestUpstream) => u.seen.filter((r) => r.headers['x-fieldlab-replay'] === '1');

  beforeAll(async () => {
    [v1, copy, v2] = [
      await startUpstream('v1', build('v1')),
      await startUpstream('copy', build('v1')),
      await startUpstream('v2', build('v2')),
    ];
    fl = await startFieldlab(`
upstreams: { v1: ${v1.url}, copy: ${copy.url}, v2: ${v2.url} }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: v1 }
    shadow: [{ to: v2, methods: [POST], compare: { noiseFrom: copy } }]
    record: { percent: 100, by: request }
`);
    await postOrders(fl, 40);
    live = await liveReport(fl, 80);
  });
  afterAll(async () => {
    await fl.close();
    await Promise.all([v1.close(), copy.close(), v2.close()]);
    tmp.remove();
  });

  it('reaches the live verdicts on a write, which only the copy can measure', async () => {
    const liveVerdicts = verdicts(live);
    // Live, the copy measured the write's fields: ts is noise, version a real change.
    expect(liveVerdicts['POST /shop/orders body:$.version value']).toBe('real');
    expect(liveVerdicts['POST /shop/orders body:$.ts value']).toBe('noise');
    const liveCopies = copy.seen.length;

    const r = await replayJson(fl.file, v2.url, join(tmp.dir, 'a.json'));
    expect(r.code, r.err).toBe(0);
    const report = r.report;
    expect(verdicts(report)).toEqual(liveVerdicts);
    expect(replays(v2)).toHaveLength(40);
    expect(replays(copy)).toHaveLength(40);
    expect(copy.seen.length - liveCopies).toBe(40);
    expect(r.err).toMatch(/40 requests also to noise copy copy \(0 failed\)/);
  });

  it('sends the copy only what the live mirror would: a method the shadow does not mirror stays away from it', async () => {
    // The same recording, read through a config whose shadow mirrors GET only: the recorded POSTs
    // still go to the candidate (that is what replay is for), never to the control copy.
    const file = join(tmp.dir, 'get-only.yaml');
    writeFileSync(file, readFileSync(fl.file, 'utf8').replace('methods: [POST]', 'methods: [GET]'));
    const before = replays(copy).length;
    const r = await replayJson(file, v2.url, join(tmp.dir, 'b.json'));
    expect(r.code, r.err).toBe(0);
    expect(replays(copy).length).toBe(before);
    const v = verdicts(r.report);
    // Without the copy, nothing measures the write's noise: as before this change.
    expect(v['POST /shop/orders body:$.version value']).toBe('unmeasured');
    expect(r.err).toMatch(/0 requests also to noise copy copy/);
  });
});
