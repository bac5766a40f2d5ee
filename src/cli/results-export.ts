/**
 * `fieldlab results ROUTE --export unit|minute [--format csv|jsonl] [--since AGE] [--out FILE]`:
 * downloads an experiment's per-unit or per-minute data from `GET /experiments/ROUTE/export`,
 * streamed to FILE or stdout chunk by chunk (never held whole). A FILE is written as FILE.partial
 * and renamed once the server ended the response, so an export cut off half-way never sits under the
 * name of a complete one.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { request } from 'undici';
import type { AdminTarget } from './admin-client.js';
import { fail } from './control.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';

/** What to download. */
export interface ExportArgs {
  readonly by: string;
  readonly format: string;
  readonly since: string | undefined;
  readonly out: string | undefined;
}

/**
 * Runs the download; resolves to the exit code (2 for a bad value or an unknown route, as the API says).
 * @example await runResultsExport(adminTarget(args, io), 'product', { by: 'unit', format: 'csv', since: undefined, out: 'units.csv' }, io)
 */
export async function runResultsExport(target: AdminTarget, route: string, a: ExportArgs, io: CliIo): Promise<number> {
  if (a.by !== 'unit' && a.by !== 'minute') return usage(io, `--export takes unit or minute, not "${a.by}"`);
  if (a.format !== 'csv' && a.format !== 'jsonl') return usage(io, `--format takes csv or jsonl, not "${a.format}"`);
  const query = new URLSearchParams({ by: a.by, format: a.format, ...(a.since ? { since: a.since } : {}) });
  const url = `${target.base}/experiments/${encodeURIComponent(route)}/export?${query}`;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, {
      headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
      headersTimeout: 30_000,
      // Between two chunks: a page of the store, so generous.
      bodyTimeout: 60_000,
    });
  } catch (err) {
    return fail(io, { status: 0, body: null, error: `cannot reach the admin API at ${target.base}: ${(err as Error).message}` });
  }
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return fail(io, { status: res.statusCode, body });
  }
  const partial = a.out ? `${a.out}.partial` : undefined;
  const file = partial ? createWriteStream(partial) : undefined;
  try {
    for await (const chunk of res.body) {
      if (file) {
        if (!file.write(chunk)) await once(file, 'drain');
      } else if (io.write) await io.write(chunk as Buffer);
      else io.out(String(chunk).replace(/\r?\n$/, ''));
    }
    if (file && partial && a.out) {
      file.end();
      await once(file, 'finish');
      await rename(partial, a.out);
      io.err(`fieldlab results: ${a.by} export of ${route} written to ${a.out}`);
    }
    return EXIT.OK;
  } catch (err) {
    file?.destroy();
    if (partial) await rm(partial, { force: true });
    io.err(`fieldlab results: the export was cut off (${(err as Error).message}); nothing complete was written`);
    return EXIT.FAILURE;
  }
}

function usage(io: CliIo, message: string): number {
  io.err(`fieldlab results: ${message}`);
  return EXIT.USAGE;
}
