// Unguessable sticky seeds (issue 9 item 3): a route without `seed:` hashes with a random seed kept in
// the store — the same after a restart and on every replica sharing the store, loaded before the first
// request, shown in /routes only with the admin token; an explicit `seed:` keeps the old behaviour.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { bucketOf } from '../../src/routing/hash.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

const yaml = (store: string, a: string, b: string, extra = '', token = 't0k') => `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: "${token}" }
store: sqlite:${store}
upstreams: { a: ${a}, b: ${b} }
routes:
  - { name: checkout, match: { path: /c/* }, arms: { control: a, variant: b }, split: { variant: 50 }, sticky: [header:x-user-id] }
${extra}`;

describe('route seeds', () => {
  const tmp = tempDir();
  const store = join(tmp.dir, 'shared.db');
  const apps: App[] = [];
  let a: TestUpstream;
  let b: TestUpstream;
  afterAll(async () => {
    for (const app of apps) await app.stop(1_000);
    await Promise.all([a?.close(), b?.close()]);
    tmp.remove();
  });
  const start = async (name: string, text: string) => {
    const file = join(tmp.dir, `${name}.yaml`);
    writeFileSync(file, text);
    const app = await startApp({ configFile: file, logger: pino({ level: 'silent' }), watch: false });
    apps.push(app);
    return { app, file };
  };
  const routes = async (app: App, token?: string) =>
    (await (
      await fetch(`http://127.0.0.1:${app.adminPort()}/routes`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    ).json()) as { routes: { name: string; seed: string; seedSource: string }[] };
  /** The arm each user lands on (one request per user), as named by the upstream that answered. */
  const armsOf = async (app: App, path: string, users: string[]) => {
    const pool = new Pool(`http://127.0.0.1:${app.proxyPort()}`, { connections: 8 });
    const out = await Promise.all(
      users.map(
        async (u) =>
          ((await (await pool.request({ path, method: 'GET', headers: { 'x-user-id': u } })).body.json()) as { name: string }).name,
      ),
    );
    await pool.close();
    return out;
  };
  const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
  const predicted = (seed: string) => users.map((u) => (bucketOf(seed, u) < 5000 ? 'b' : 'a'));

  it('hashes with a random stored seed from the first request on, not the route name', async () => {
    [a, b] = await Promise.all([startUpstream('a'), startUpstream('b')]);
    const { app } = await start('one', yaml(store, a.url, b.url));
    // The very first requests already use the stored seed.
    const first = await armsOf(app, '/c/x', users);
    const shown = (await routes(app, 't0k')).routes[0]!;
    expect(shown.seedSource).toBe('store');
    expect(shown.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(first).toEqual(predicted(shown.seed));
    expect(first).not.toEqual(predicted('checkout'));
    // Not in /config, not in /routes without the token's holder being configured… and never guessable from the name.
    const config = await (await fetch(`http://127.0.0.1:${app.adminPort()}/config`, { headers: { authorization: 'Bearer t0k' } })).text();
    expect(config).not.toContain(shown.seed);
  });

  it('keeps the seed across a restart and shares it with a second replica on the same store', async () => {
    const one = apps[0]!;
    const seed = (await routes(one, 't0k')).routes[0]!.seed;
    const before = await armsOf(one, '/c/x', users);
    await one.stop(1_000);
    apps.shift();
    const { app: again } = await start('again', yaml(store, a.url, b.url));
    const { app: replica } = await start('replica', yaml(store, a.url, b.url));
    expect((await routes(again, 't0k')).routes[0]!.seed).toBe(seed);
    expect((await routes(replica, 't0k')).routes[0]!.seed).toBe(seed);
    expect(await armsOf(again, '/c/x', users)).toEqual(before);
    expect(await armsOf(replica, '/c/x', users)).toEqual(before);
  });

  it('gives a route added by a reload its stored seed before it serves, and keeps explicit seeds as they are', async () => {
    const app = apps[0]!;
    const file = join(tmp.dir, 'again.yaml');
    const extra =
      '  - { name: search, match: { path: /s/* }, arms: { control: a, variant: b }, split: { variant: 50 }, sticky: [header:x-user-id] }\n' +
      '  - { name: fixed, seed: fixed-2026, match: { path: /f/* }, arms: { control: a, variant: b }, split: { variant: 50 }, sticky: [header:x-user-id] }\n';
    writeFileSync(file, yaml(store, a.url, b.url, extra));
    expect((await app.reload('test')).ok).toBe(true);
    const shown = (await routes(app, 't0k')).routes;
    const search = shown.find((r) => r.name === 'search')!;
    expect(search.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(await armsOf(app, '/s/x', users)).toEqual(predicted(search.seed));
    expect(shown.find((r) => r.name === 'fixed')).toMatchObject({ seed: 'fixed-2026', seedSource: 'config' });
    expect(await armsOf(app, '/f/x', users)).toEqual(predicted('fixed-2026'));
  });

  it('hides the seed in /routes unless the caller holds a write credential', async () => {
    const { app } = await start('open', yaml(join(tmp.dir, 'open.db'), a.url, b.url, '', ''));
    expect((await routes(app)).routes[0]).toMatchObject({ seed: '***', seedSource: 'store' });
    // Read token: sees the routes, not the seed. Write token: sees it.
    const split = yaml(join(tmp.dir, 'split.db'), a.url, b.url).replace('token: "t0k"', 'readToken: r3ad, writeToken: wr1te');
    const { app: tokens } = await start('split', split);
    expect((await routes(tokens, 'r3ad')).routes[0]!.seed).toBe('***');
    expect((await routes(tokens, 'wr1te')).routes[0]!.seed).toMatch(/^[0-9a-f]{32}$/);
    const both = yaml(join(tmp.dir, 'both.db'), a.url, b.url).replace('token: "t0k"', 'token: t0k, readToken: r3ad');
    const { app: mixed } = await start('both', both);
    expect((await routes(mixed, 'r3ad')).routes[0]!.seed).toBe('***');
    expect((await routes(mixed, 't0k')).routes[0]!.seed).toMatch(/^[0-9a-f]{32}$/);
  });
});
