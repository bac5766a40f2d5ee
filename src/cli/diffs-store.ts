/**
 * Finds and opens the diff store for `fieldlab diffs`: `--store URL`, or the `store.url` of the
 * config. Unlike the proxy it never creates a database: a missing file is an error naming the
 * path (and where the path came from), not an empty report that would pass a CI gate.
 */
import { existsSync, statSync } from 'node:fs';
import { formatConfigError, loadConfigFile } from '../config/load.js';
import { openStore, parseStoreUrl } from '../storage/open.js';
import type { DiffStore, Stores } from '../storage/types.js';

/** The opened store, or why not (one message per line). */
export type OpenedStore =
  | {
      ok: true;
      store: DiffStore;
      /** Every repository of the store (replay reads its records). */
      stores: Stores;
      where: string;
      /** The config's routes and their shadow upstreams, when the store came from a config. */
      configured?: ReadonlyMap<string, readonly string[]>;
      close(): Promise<void>;
    }
  | { ok: false; lines: string[] };

/**
 * Opens the store named by `--store` or by the config at `configFile` (default config/fieldlab.yaml).
 * @example const s = await openReportStore({ store: 'sqlite:data/fieldlab.db' }, process.env); if (s.ok) await s.close()
 */
export async function openReportStore(
  o: { store?: string; config?: string },
  env: Record<string, string | undefined>,
): Promise<OpenedStore> {
  let url = o.store;
  let from = url !== undefined ? '--store' : '';
  let configured: Map<string, string[]> | undefined;
  if (url === undefined) {
    const file = o.config ?? 'config/fieldlab.yaml';
    const loaded = loadConfigFile(file, env);
    if (!loaded.ok) {
      const hint = o.config === undefined ? ' (pass --config FILE or --store sqlite:PATH)' : '';
      return {
        ok: false,
        lines: [`cannot read the store location from ${file}${hint}:`, ...loaded.errors.map((e) => `  ${formatConfigError(e)}`)],
      };
    }
    url = loaded.config.store.url;
    from = `store.url in ${file}`;
    configured = new Map(loaded.config.routes.map((r) => [r.name, r.shadow.map((sh) => sh.to)]));
  }
  const parsed = parseStoreUrl(url);
  if (!parsed.ok) return { ok: false, lines: [`${parsed.error} (${from})`] };
  const where = parsed.location.kind === 'sqlite' ? parsed.location.file : url;
  if (parsed.location.kind === 'sqlite') {
    const { file } = parsed.location;
    if (file === ':memory:') {
      return {
        ok: false,
        lines: [
          `the store is ${url} (${from}): it lives in the proxy's memory, so there is nothing to read from here; use GET /diffs.json on the admin port`,
        ],
      };
    }
    if (!existsSync(file)) return { ok: false, lines: [`store file not found: ${file} (${url}, from ${from})`] };
    if (!statSync(file).isFile()) return { ok: false, lines: [`store is not a file: ${file} (${url}, from ${from})`] };
  }
  try {
    // In this process (no worker): the CLI has no proxy loop to protect.
    const stores = await openStore(url, { worker: false });
    return { ok: true, store: stores.diffs, stores, where, ...(configured ? { configured } : {}), close: stores.close };
  } catch (err) {
    return { ok: false, lines: [`cannot read store ${where}: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
