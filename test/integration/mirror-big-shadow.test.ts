// Big shadow answers cost the proxy only what it compares (issue 9 item 4): the shadow exchange is
// aborted one byte past compare.maxBody (the rest is never read, the JSON body is reported
// body-truncated), a byte budget per shadow skips copies when it is empty, and queued copies that
// outwait their timeout are dropped instead of starting once load has stopped.
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { DiffReport } from '../../src/compare/report.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 2 ** 20;

/** Streams `total` bytes of a JSON array with backpressure; resolves with the bytes the socket took. */
function bigJson(res: ServerResponse, total: number): Promise<number> {
  return new Promise((resolve) => {
    const chunk = Buffer.from(`${'1,'.repeat(32 * 1024)}`);
    let written = 0;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': total });
    const pump = () => {
      while (written < total && !res.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, total - written));
        written += part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      if (written >= total) res.end();
    };
    res.once('close', () => resolve(written));
    res.write('[');
    written = 1;
    pump();
  });
}

describe('big shadow answers', () => {
  const open: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const o of open.reverse()) await o.close();
  });
  const track = <T extends TestFieldlab | TestUpstream>(x: T): T => {
    open.push(x);
    return x;
  };

  it('reads a 50 MiB shadow answer only up to the compare cap, and reports the body truncated', async () => {
    const primary = track(await startUpstream('p', (_q, res) => res.end('[1]')));
    const written: Promise<number>[] = [];
    const dark = track(await startUpstream('dark', (_q, res) => void written.push(bigJson(res, 50 * MiB))));
    const fl = track(
      await startFieldlab(
        `upstreams: { p: ${primary.url}, dark: ${dark.url} }\n` +
          'routes: [{ name: r, arms: { control: p }, shadow: [{ to: dark, timeout: 30s, maxBytesPerSecond: 0, compare: { maxBody: 256KiB } }] }]\n',
      ),
    );
    for (let i = 0; i < 3; i++) expect(await (await request(`${fl.url}/x${i}`)).body.text()).toBe('[1]');
    await waitFor(() => fl.app.mirrorStats().dispatcher.truncated === 3);
    // The shadow saw its client go away long before it had sent everything.
    for (const bytes of await Promise.all(written)) expect(bytes).toBeLessThan(50 * MiB);
    await fl.app.flushDiffs();
    const report = (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
    expect(report.skips).toContainEqual({ route: 'r', shadow: 'dark', reason: 'body-truncated', count: 3 });
  });

  it('skips copies (reason bandwidth) while the shadow byte budget is empty, and counts them', async () => {
    const primary = track(await startUpstream('p', (_q, res) => res.end('[1]')));
    const dark = track(await startUpstream('dark', (_q, res) => void bigJson(res, 2 * MiB)));
    // 64 KiB/s: the first copy empties the budget for seconds; the next ones are skipped.
    const fl = track(
      await startFieldlab(
        `upstreams: { p: ${primary.url}, dark: ${dark.url} }\n` +
          'routes: [{ name: r, arms: { control: p }, shadow: [{ to: dark, concurrency: 1, maxBytesPerSecond: 64KiB, compare: { maxBody: 1MiB } }] }]\n',
      ),
    );
    expect(await (await request(`${fl.url}/first`)).body.text()).toBe('[1]');
    await waitFor(() => fl.app.mirrorStats().dispatcher.overBudget >= 1);
    for (let i = 0; i < 5; i++) expect(await (await request(`${fl.url}/x${i}`)).body.text()).toBe('[1]');
    expect(fl.app.mirrorStats().dispatcher.sent).toBe(1);
    await fl.app.flushDiffs();
    const report = (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
    const skipped = report.skips.filter((s) => s.reason === 'bandwidth').reduce((n, s) => n + s.count, 0);
    expect(skipped).toBe(6);
  });

  it('drops queued copies that waited out most of their timeout instead of starting them after load stopped', async () => {
    const primary = track(await startUpstream('p', (_q, res) => res.end('[1]')));
    const held: ServerResponse[] = [];
    const dark = track(await startUpstream('dark', (_q, res) => void held.push(res)));
    const fl = track(
      await startFieldlab(
        `upstreams: { p: ${primary.url}, dark: ${dark.url} }\n` +
          'routes: [{ name: r, arms: { control: p }, shadow: [{ to: dark, concurrency: 1, queue: 10, timeout: 1s }] }]\n',
      ),
    );
    const burst = Array.from({ length: 5 }, async (_, i) => (await request(`${fl.url}/x${i}`)).body.text());
    expect(await Promise.all(burst)).toEqual(Array(5).fill('[1]'));
    await waitFor(() => fl.app.mirrorStats().dispatcher.queued === 0 && fl.app.mirrorStats().dispatcher.inFlight === 0);
    const d = fl.app.mirrorStats().dispatcher;
    // The first copy timed out at the shadow; the four behind it had used up most of their time waiting.
    expect(d.sent).toBe(1);
    expect(d.expired).toBe(4);
    expect(dark.seen.length).toBe(1);
    for (const r of held) r.destroy();
  });
});
