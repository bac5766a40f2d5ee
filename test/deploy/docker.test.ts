// The Dockerfile can't be built where the tests run (no engine), so its promises are checked piece
// by piece: every COPY source exists and survives .dockerignore, the runtime user is numeric, the
// data path is a volume, and the ENTRYPOINT runs from a pruned production install (production
// dependencies only, the lean build's output) exactly as the runtime stage lays it out.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
const lines = dockerfile.split('\n').map((l) => l.trim());
const instructions = lines.filter((l) => l && !l.startsWith('#'));
const ignore = readFileSync('.dockerignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** .dockerignore semantics for the patterns we use: last match wins, `!` re-includes, `x/` means the tree. */
function ignored(path: string): boolean {
  let out = false;
  for (const raw of ignore) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/\/$/, '');
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(?:/.*)?$`);
    if (re.test(path)) out = !negate;
  }
  return out;
}

/** `COPY [--flags] SRC... DEST` → its sources, and the --from stage if any. */
const copies = instructions
  .filter((l) => l.startsWith('COPY '))
  .map((l) => {
    const words = l.split(/\s+/).slice(1);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    return { line: l, from, sources: paths.slice(0, -1).map((p) => p.replace(/^\/app\//, '').replace(/^\.\//, '')) };
  });
const runtime = instructions.slice(instructions.findLastIndex((l) => l.startsWith('FROM ')));

describe('Dockerfile', () => {
  it('copies only files that exist in the repo and are in the build context', () => {
    const local = copies.filter((c) => c.from === undefined);
    expect(local.length).toBeGreaterThan(3);
    for (const c of local) {
      for (const src of c.sources) {
        expect(existsSync(src), `${c.line}: ${src} missing`).toBe(true);
        expect(ignored(src), `${c.line}: ${src} is excluded by .dockerignore`).toBe(false);
      }
    }
    expect(ignored('data/fieldlab.db')).toBe(true);
    expect(ignored('node_modules/x')).toBe(true);
    expect(ignored('dist/src/cli/main.js')).toBe(true);
    expect(ignored('config/kubernetes/edge.yaml')).toBe(true);
  });

  it('ships the LICENSE package.json names', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync('LICENSE', 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(copies.some((c) => c.sources.includes('LICENSE'))).toBe(true);
  });

  it('runs as a numeric user with the data path as a volume', () => {
    const user = runtime.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toMatch(/^USER \d+(?::\d+)?$/);
    expect(runtime.some((l) => /^VOLUME \["\/app\/data"\]$/.test(l))).toBe(true);
    for (const c of copies.filter((x) => x.line.includes('--chown='))) expect(c.line).toMatch(/--chown=\d+:\d+/);
  });

  it('builds with the lean build that only compiles src/', () => {
    expect(instructions).toContain('RUN npm run build:app && npm prune --omit=dev');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.scripts['build:app']).toBe('tsc -b src/tsconfig.json');
    expect(JSON.parse(readFileSync('src/tsconfig.json', 'utf8')).include).toEqual(['.']);
  });

  describe('the entrypoint from a pruned production install', () => {
    let app: string;
    beforeAll(() => {
      app = mkdtempSync(join(tmpdir(), 'fieldlab-image-'));
      for (const f of ['package.json', 'package-lock.json']) cpSync(f, join(app, f));
      // npm's own pruning: production dependencies only, from the lockfile. --ignore-scripts skips
      // compiling better-sqlite3 again (minutes on two cores); its native addon is copied from the
      // dev install below, built for this same Node.
      const ci = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: app,
        encoding: 'utf8',
      });
      expect(ci.status, ci.stderr).toBe(0);
      cpSync('node_modules/better-sqlite3/build', join(app, 'node_modules/better-sqlite3/build'), { recursive: true });
      // What the runtime stage copies from the build stage, plus the local COPYs.
      cpSync('dist/src', join(app, 'dist/src'), { recursive: true });
      cpSync('config', join(app, 'config'), { recursive: true });
      cpSync('src/admin/assets', join(app, 'src/admin/assets'), { recursive: true });
      cpSync('LICENSE', join(app, 'LICENSE'));
    }, 120_000);
    afterAll(() => rmSync(app, { recursive: true, force: true }));

    const entrypoint = () => JSON.parse(runtime.find((l) => l.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[];
    const run = (...args: string[]) => {
      const [cmd, ...rest] = entrypoint();
      return spawnSync(cmd === 'node' ? process.execPath : cmd!, [...rest, ...args], {
        cwd: app,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      });
    };

    it('has no dev dependency installed', () => {
      expect(existsSync(join(app, 'node_modules/typescript'))).toBe(false);
      expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    });

    it('prints the version', () => {
      const r = run('--version');
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(`fieldlab ${JSON.parse(readFileSync('package.json', 'utf8')).version}`);
      expect(r.status).toBe(0);
    });

    it('validates the default CMD config, and opens a store (native addon loads)', () => {
      const cmd = JSON.parse(runtime.find((l) => l.startsWith('CMD '))!.slice('CMD '.length)) as string[];
      expect(cmd.slice(0, 2)).toEqual(['start', '--config']);
      const r = run('validate', cmd[2]!);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const probe = join(app, 'probe.mjs');
      writeFileSync(probe, "import Database from 'better-sqlite3'; new Database(':memory:').prepare('select 1').get(); console.log('ok')");
      expect(spawnSync(process.execPath, [probe], { cwd: app, encoding: 'utf8' }).stdout).toBe('ok\n');
    });
  });
});
