/**
 * The report page's stylesheet and script: real files (src/admin/assets/diffs.css, diffs.js) that
 * editors and linters can check, read once when this module loads and inlined into every page, so
 * the page still works as one file (`fieldlab diffs --html`) opened offline. The files are found
 * next to this module (running from src/) or at src/admin/assets from the package root (running
 * from dist/, where tsc copies no assets; the Docker image copies them to the same place).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The text of an admin asset file (src/admin/assets/NAME), from src/ or dist/ alike.
 * @example readAsset('diffs.css')
 */
export function readAsset(name: string): string {
  const candidates = [new URL(`./assets/${name}`, import.meta.url), new URL(`../../../src/admin/assets/${name}`, import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new Error(`admin asset ${name} not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
  return readFileSync(found, 'utf8');
}

/** The page's CSS. */
export const DIFFS_CSS = readAsset('diffs.css');

/** The page's script: endpoint filter and copy buttons. */
export const DIFFS_JS = readAsset('diffs.js');
