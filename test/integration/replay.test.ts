// Record and replay, end to end with real upstreams: the same traffic is mirrored live to a changed
// build and recorded; `fieldlab replay` against that build must reach the same verdicts per endpoint
// and field as live mirroring did. Resume, segments, ordering and the CI gate on the real CLI code.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { DiffReport } from '../../src/compare/report.js';
import { runReplayCommand } from '../../src/cli/replay.js';
import { liveReport, postOrders } from '../helpers/replay.js';
import { startFieldlab, startUpstream, tempDir, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

/** v1 (control) and v2 (the changed build): v2 renames nothing but bumps `version`, doubles the price of every third item and adds `tag`. */
function build(version: 'v1' | 'v2') {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const id = Number(/\/items\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      const json: Record<string, unknown> =
        req.method === 'POST'
          ? {
              created: true,
              qty: (JSON.parse(body || '{}') as { qty?: number }).qty ?? 0,
              version,
              ts: randomUUID(),
            }
          : {
              id,
              price: version === 'v2' && id % 3 === 0 ? id * 20 : id * 10,
              version,
              ts: randomUUID(),
            };
      if (version === 'v2') json.tag = 'new';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(json));
    });
  };
}

type Verdicts = Record<string, string>;
const verdicts = (r: DiffReport): Verdicts =>
  Object.fromEntries(r.endpoints.flatMap((e) => e.fields.map((f) => [`${e.endpoint} ${f.field} ${f.kind}`, f.verdict])));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (s: string) => out.push(s),
      err: (s: string) => err.push(s),
      env: process.env,
      isTTY: false,
      errIsTTY: false,
    },
  };
}

describe('fieldlab replay', () => {
  let v1: TestUpstream;
  let v2: TestUpstream;
  let fl: TestFieldlab;
  const tmp = tempDir();
  let live: DiffReport;
  const replayed = () => v2.seen.filter((r) => r.headers['x-fieldlab-replay'] === '1');

  beforeAll(async () => {
    v1 = await startUpstream('v1', build('v1'));
    v2 = await startUpstream('v2', build('v2'));
    fl = await startFieldlab(`
upstreams: { v1: ${v1.url}, v2: ${v2.url} }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: v1 }
    shadow: [{ to: v2, methods: [GET, POST] }]
    record: { percent: 100, by: request }
`);
    // The same traffic for both: 60 reads over 6 items (repeats teach the noise) and 12 writes.
    for (let i = 0; i < 60; i++) await (await request(`${fl.url}/shop/items/${i % 6}`)).body.text();
    await postOrders(fl, 12);
    live = await liveReport(fl, 72);
  });
  afterAll(async () => {
    await fl.close();
    await v1.close();
    await v2.close();
    tmp.remove();
  });

  it('reaches the verdicts live mirroring reached, per endpoint and field', async () => {
    expect(fl.app.recorder().stats().stored.shop).toBe(72);
    const liveVerdicts = verdicts(live);
    // The live report has every kind of verdict, so agreeing means something.
    expect(liveVerdicts['GET /shop/items/:id body:$.price value']).toBe('real');
    expect(liveVerdicts['GET /shop/items/:id body:$.ts value']).toBe('noise');
    expect(liveVerdicts['POST /shop/orders body:$.version value']).toBe('unmeasured');
    expect(Object.keys(liveVerdicts)).toHaveLength(7);

    const r = io();
    const code = await runReplayCommand(
      ['--config', fl.file, '--route', 'shop', '--to', v2.url, '--rate', '2000/s', '--json', '--checkpoint', join(tmp.dir, 'a.json')],
      r.io,
    );
    expect(code, r.err.join('\n')).toBe(0);
    const report = JSON.parse(r.out.join('\n')) as DiffReport;
    expect(report.endpoints.every((e) => e.shadow === `replay:${v2.url}`)).toBe(true);
    expect(verdicts(report)).toEqual(liveVerdicts);
    expect(report.endpoints.reduce((n, e) => n + e.pairs, 0)).toBe(72);
    expect(replayed()).toHaveLength(72);
    // The candidate got the recorded writes with their bodies.
    expect(r.err.join('\n')).toMatch(/replayed 72 requests/);
  });

  it('stops after --limit, resumes after the checkpoint, and never sends a request twice', async () => {
    const before = replayed().length;
    const ck = join(tmp.dir, 'b.json');
    const args = ['--config', fl.file, '--route', 'shop', '--to', v2.url, '--rate', '2000/s', '--concurrency', '1', '--checkpoint', ck];
    const first = io();
    expect(await runReplayCommand([...args, '--limit', '30', '--json'], first.io)).toBe(0);
    const saved = JSON.parse(readFileSync(ck, 'utf8')) as {
      lastId: number;
      replayed: number;
    };
    expect(saved.replayed).toBe(30);
    expect(first.err.join('\n')).toMatch(/--resume continues after id/);
    const second = io();
    expect(await runReplayCommand([...args, '--resume', '--json'], second.io)).toBe(0);
    expect((JSON.parse(readFileSync(ck, 'utf8')) as { replayed: number }).replayed).toBe(72);
    const ids = replayed()
      .slice(before)
      .map((r) => r.headers['x-request-id']);
    // In recorded order (concurrency 1 keeps the order), each once.
    expect(new Set(ids).size).toBe(72);
    const liveOrder = v1.seen.map((r) => r.headers['x-request-id']);
    expect(ids).toEqual(liveOrder);
    // One report across both runs: 72 pairs, the same verdicts.
    const report = JSON.parse(second.out.join('\n')) as DiffReport;
    expect(report.endpoints.reduce((n, e) => n + e.pairs, 0)).toBe(72);
    expect(verdicts(report)).toEqual(verdicts(live));
    expect(existsSync(`${ck}.db`)).toBe(true);
  });

  it('replays only the segment, gates CI with --fail-on, and says "no data" for an empty selection', async () => {
    const before = replayed().length;
    const base = ['--config', fl.file, '--route', 'shop', '--to', v2.url, '--rate', '2000/s', '--checkpoint', join(tmp.dir, 'c.json')];
    const posts = io();
    expect(await runReplayCommand([...base, '--segment', 'method=POST', '--fail-on', '1%'], posts.io)).toBe(0);
    expect(
      replayed()
        .slice(before)
        .every((r) => r.method === 'POST'),
    ).toBe(true);
    expect(replayed().length - before).toBe(12);
    const all = io();
    expect(await runReplayCommand([...base, '--fail-on', '1%'], all.io)).toBe(1);
    expect(all.out.join('\n')).toMatch(/FAIL/);
    const none = io();
    expect(await runReplayCommand([...base, '--segment', 'arm=nope'], none.io)).toBe(3);
    expect(none.out.join('\n')).toMatch(/NO DATA/);
    const bad = io();
    expect(await runReplayCommand([...base, '--segment', 'units=9-2%'], bad.io)).toBe(2);
    expect(await runReplayCommand(['--config', fl.file, '--route', 'nope', '--to', v2.url], io().io)).toBe(2);
  });

  it('compares a dead candidate as errors, counts them, and still finishes with a report', async () => {
    const dead = await startUpstream('dead');
    const url = dead.url;
    await dead.close();
    const r = io();
    const code = await runReplayCommand(
      [
        '--config',
        fl.file,
        '--route',
        'shop',
        '--to',
        url,
        '--rate',
        '2000/s',
        '--timeout',
        '1s',
        '--segment',
        'method=POST',
        '--json',
        '--checkpoint',
        join(tmp.dir, 'e.json'),
      ],
      r.io,
    );
    expect(code, r.err.join('\n')).toBe(0);
    expect(r.err.join('\n')).toMatch(/replayed 12 requests .*12 candidate errors/);
    const report = JSON.parse(r.out.join('\n')) as DiffReport;
    expect(report.endpoints[0]!.statuses).toEqual([{ primary: 200, candidate: 0, count: 12 }]);
  });
  it('fails the --fail-on gate for a candidate that answers 500 to everything, or is down', async () => {
    // Writes are never repeated, so no noise is observed for them: the status change must still count.
    const boom = await startUpstream('boom', (_req, res) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json');
      res.end('{"error":"boom"}');
    });
    const args = (to: string, ck: string) => [
      '--config',
      fl.file,
      '--route',
      'shop',
      '--to',
      to,
      '--rate',
      '2000/s',
      '--timeout',
      '1s',
      '--segment',
      'method=POST',
      '--fail-on',
      '1%',
      '--checkpoint',
      join(tmp.dir, ck),
    ];
    const r500 = io();
    expect(await runReplayCommand(args(boom.url, 'f.json'), r500.io), r500.out.join('\n')).toBe(1);
    expect(r500.out.join('\n')).toMatch(/FAIL/);
    await boom.close();
    const dead = await startUpstream('dead2');
    const url = dead.url;
    await dead.close();
    const down = io();
    expect(await runReplayCommand(args(url, 'g.json'), down.io), down.out.join('\n')).toBe(1);
    expect(down.out.join('\n')).toMatch(/FAIL — 12 candidate errors/);
  });
});
