// Shared steps of the record-and-replay tests: writes through the proxy, waiting until live
// mirroring compared them and the recorder stored them, the live report, and one replay run.
import { request } from 'undici';
import type { DiffReport } from '../../src/compare/report.js';
import { runReplayCommand } from '../../src/cli/replay.js';
import type { TestFieldlab } from './servers.js';

/** POSTs `n` JSON orders `{ qty: i }` to `/shop/orders`, one at a time. */
export async function postOrders(fl: TestFieldlab, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await (
      await request(`${fl.url}/shop/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qty: i }),
      })
    ).body.text();
}

/** Waits until `compared` pairs are compared, stores diffs and recordings, and returns the live report. */
export async function liveReport(fl: TestFieldlab, compared: number): Promise<DiffReport> {
  for (let i = 0; i < 200 && fl.app.mirrorStats().compare.compared < compared; i++) await new Promise((r) => setTimeout(r, 20));
  await fl.app.flushDiffs();
  await fl.app.recorder().flush();
  return (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
}

/** Runs `fieldlab replay --json` of route shop at 2000/s; its exit code, report and stderr. */
export async function replayJson(
  config: string,
  to: string,
  checkpoint: string,
): Promise<{ code: number; report: DiffReport; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), env: process.env, isTTY: false, errIsTTY: false };
  const args = ['--config', config, '--route', 'shop', '--to', to, '--rate', '2000/s', '--json', '--checkpoint', checkpoint];
  const code = await runReplayCommand(args, io);
  return { code, report: (out.length > 0 ? JSON.parse(out.join('\n')) : { endpoints: [] }) as DiffReport, err: err.join('\n') };
}

/** Verdict per `endpoint field kind`. */
export const verdicts = (r: DiffReport): Record<string, string> =>
  Object.fromEntries(r.endpoints.flatMap((e) => e.fields.map((f) => [`${e.endpoint} ${f.field} ${f.kind}`, f.verdict])));
