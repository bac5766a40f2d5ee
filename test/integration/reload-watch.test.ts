// Hot reload survives the config directory going away: removed and recreated, or moved away and
// back, later edits still apply and `/config` shows the new version, not a stale error.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const conf = (store: string, upstream: string, pct: number) => `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
store: sqlite:${store}
upstreams: { c: ${upstream}, v: ${upstream} }
routes:
  - name: r
    match: { path: /* }
    arms: { control: c, variant: v }
    split: { variant: ${pct} }
`;

describe('config watch re-arms', () => {
  const tmp = tempDir();
  const dir = join(tmp.dir, 'conf');
  const file = join(dir, 'fieldlab.yaml');
  const store = join(tmp.dir, 'fieldlab.db');
  let up: TestUpstream;
  let app: App;
  const admin = async () => {
    const res = await fetch(`http://127.0.0.1:${app.adminPort()}/config`);
    return (await res.json()) as { config: { routes: { split: { variant: number } }[] }; lastReload: { ok: boolean } | null };
  };
  const applied = (pct: number) => async () => {
    const c = await admin();
    return c.config.routes[0]!.split.variant === pct && c.lastReload?.ok === true;
  };

  beforeAll(async () => {
    up = await startUpstream('u');
    mkdirSync(dir);
    writeFileSync(file, conf(store, up.url, 10));
    app = await startApp({ configFile: file, logger: pino({ level: 'silent' }), watch: true });
  });
  afterAll(async () => {
    await app.stop(1_000);
    await up.close();
    tmp.remove();
  });

  it('applies edits after the directory was removed and recreated', async () => {
    writeFileSync(file, conf(store, up.url, 20));
    await waitFor(applied(20));
    rmSync(dir, { recursive: true });
    await new Promise((r) => setTimeout(r, 1_500));
    mkdirSync(dir);
    writeFileSync(file, conf(store, up.url, 30));
    await waitFor(applied(30));
    writeFileSync(file, conf(store, up.url, 40));
    await waitFor(applied(40));
  });

  it('applies edits after the directory was moved away and back', async () => {
    const away = join(tmp.dir, 'away');
    renameSync(dir, away);
    await new Promise((r) => setTimeout(r, 1_500));
    renameSync(away, dir);
    await new Promise((r) => setTimeout(r, 1_500));
    writeFileSync(file, conf(store, up.url, 15));
    await waitFor(applied(15));
  });
});
