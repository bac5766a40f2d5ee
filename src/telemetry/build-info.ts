/**
 * What this build is: the package version (read once from package.json, which ships next to
 * dist/ in the repo and in the image) and the Node.js runtime. Shown by `fieldlab --version` and
 * exported as `fieldlab_build_info`, so a dashboard can tell which version each replica runs.
 */
import { readFileSync } from 'node:fs';

/** The build's identity. */
export interface BuildInfo {
  readonly version: string;
  readonly node: string;
}

let cached: BuildInfo | undefined;

/**
 * Reads the version from the package root: two levels above this file under the test runner
 * (src/telemetry/), three in a build (dist/src/telemetry/).
 * @example buildInfo().version // '0.1.0'
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  let version = 'unknown';
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fieldlab' && pkg.version) {
        version = pkg.version;
        break;
      }
    } catch {
      // Not at this level; try the next.
    }
  }
  cached = { version, node: process.version };
  return cached;
}
