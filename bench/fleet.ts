/**
 * bench/fleet: real Fieldlab replicas on the real PostgreSQL (a schema of its own on
 * FIELDLAB_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test, dropped at the end).
 *
 *  1. propagation: the bench takes the decider lease (as an operator would, bumping the epoch) and
 *     publishes N fleet decisions through the same fenced path a decider uses; for each, the time
 *     from commit to the LAST replica applying it (each replica records when it applied), with
 *     NOTIFY and with polling only (fleet.listen: false).
 *  2. evidence lag: a burst of requests, then the time until the decider's engine counts all of it.
 *  3. failover: kill -9 of the decider, time until another replica holds the lease.
 *
 * Usage: npm run build && node dist/bench/fleet.js [--trials 20] [--replicas 3] [--failovers 5]
 */
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDecisionLog } from '../src/fleet/decision-log.js';
import { replicaIdentity } from '../src/fleet/identity.js';
import { createPgDatabase } from '../src/storage/postgres/pool.js';
import { parsePostgresUrl, type PostgresTarget } from '../src/storage/postgres/url.js';
import { installCleanup, spawnNode, type Child } from './lib/children.js';
import { freePort } from './lib/free-port.js';
import { FIELDLAB_CLI, ROOT } from './lib/paths.js';

const args = process.argv.slice(2);
const num = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const TRIALS = num('trials', 20);
const REPLICAS = num('replicas', 3);
const FAILOVERS = num('failovers', 5);
const BASE = process.env.FIELDLAB_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Replica {
  id: string;
  child: Child;
  port: number;
  admin: number;
}

function getJson<T>(port: number, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body) as T));
      })
      .on('error', reject);
  });
}

function hit(port: number, user: string): Promise<void> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { 'x-user-id': user } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', () => resolve());
  });
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((q / 100) * s.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  installCleanup(15 * 60_000);
  const schema = `fl_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = `${BASE}${BASE.includes('?') ? '&' : '?'}schema=${schema}`;
  const upstream = http.createServer((_q, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const up = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'fieldlab-bench-fleet-'));
  const out: string[] = [];
  try {
    for (const listen of [true, false]) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`);
      const replicas = await startFleet(dir, url, up, listen);
      const lags = await propagation(url, replicas);
      out.push(
        `decision → last of ${REPLICAS} replicas applied, ${listen ? 'NOTIFY + poll' : 'polling only (2 s)'}: p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms, max ${Math.max(...lags)} ms (${lags.length} trials)`,
      );
      if (listen) {
        const ev = await evidenceLag(replicas);
        out.push(
          `evidence lag (request served → in the decider's evidence): p50 ${pct(ev, 50)} ms, p99 ${pct(ev, 99)} ms (${ev.length} trials)`,
        );
        const fo = await failover(dir, url, up, replicas);
        out.push(`decider failover after kill -9 (lease 5 s): p50 ${pct(fo, 50)} ms, max ${Math.max(...fo)} ms (${fo.length} trials)`);
      }
      await Promise.all(replicas.map((r) => r.child.stop()));
    }
  } finally {
    upstream.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nbench/fleet (${REPLICAS} replicas, PostgreSQL ${BASE.replace(/\/\/[^@]*@/, '//')})\n${out.map((l) => `  ${l}`).join('\n')}\n`,
  );
  process.exit(0);
}

async function startReplica(dir: string, id: string, url: string, up: string, listen: boolean): Promise<Replica> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const file = join(dir, `${id}.yaml`);
  await writeFile(
    file,
    `listen: 127.0.0.1:${port}
admin: { listen: 127.0.0.1:${adminPort} }
store: ${url}
fleet: { listen: ${listen} }
log: { level: warn, access: false }
drainTimeout: 1s
upstreams: { control: ${up}, variant: ${up} }
routes:
  - name: checkout
    arms: { control: control, variant: variant }
    split: { variant: 20 }
    sticky: [header:x-user-id]
    guardrails: {}
`,
  );
  process.env.FIELDLAB_REPLICA_ID = id;
  const child = spawnNode(id, [FIELDLAB_CLI, 'start', '--config', file, '--no-watch'], ROOT);
  for (let i = 0; i < 200; i++) {
    if ((await getJson<{ status: string }>(adminPort, '/readyz').catch(() => undefined))?.status === 'ready')
      return { id, child, port, admin: adminPort };
    await sleep(100);
  }
  throw new Error(`${id} did not start\n${child.tail()}`);
}

async function startFleet(dir: string, url: string, up: string, listen: boolean): Promise<Replica[]> {
  const out: Replica[] = [];
  for (let i = 0; i < REPLICAS; i++) out.push(await startReplica(dir, `bench-${i}`, url, up, listen));
  return out;
}

interface FleetBody {
  self: { leads: string[] };
  replicas: { replica: string; live: boolean; applied: Record<string, { seq: number; at: number }> }[];
}

/** Takes the lease as an operator and publishes TRIALS decisions alternating the variant 0% / 20%. */
async function propagation(url: string, replicas: Replica[]): Promise<number[]> {
  const db = createPgDatabase(parsePostgresUrl(url) as PostgresTarget);
  const me = replicaIdentity({ FIELDLAB_REPLICA_ID: 'bench-operator' });
  const log = createDecisionLog(db, me);
  // Wait for a real decider's checkpoint: its state is what the published decisions carry.
  type EngineState = { variants: { percent: number }[] };
  let cp: { state: EngineState } | undefined;
  for (let i = 0; i < 100 && !cp; i++) {
    [cp] = await db.query<{ state: EngineState }>(`SELECT state FROM ${db.t('fleet_leases')} WHERE state IS NOT NULL`);
    if (!cp) await sleep(200);
  }
  if (!cp) throw new Error('no decider checkpoint appeared');
  const lags: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const [lease] = await db.query<{ epoch: number }>(
      `UPDATE ${db.t('fleet_leases')} SET holder = $1, replica = $2, epoch = epoch + 1, expires_at = now() + interval '1 hour' WHERE route = 'checkout' RETURNING epoch`,
      [me.instance, me.replica],
    );
    const state = structuredClone(cp.state);
    state.variants[0]!.percent = t % 2 === 0 ? 0 : 20;
    const res = await log.publish({
      route: 'checkout',
      epoch: lease!.epoch,
      at: Date.now(),
      weights: { variant: state.variants[0]!.percent },
      decisions: [],
      state,
      through: null,
    });
    if (!res.ok) throw new Error('bench decision fenced');
    const [row] = await db.query<{ created: number }>(
      `SELECT (extract(epoch FROM created_at) * 1000)::float8 AS created FROM ${db.t('fleet_decisions')} WHERE seq = $1`,
      [res.seq],
    );
    // Heartbeats carry each replica's apply time; wait until all have reported this seq.
    for (let i = 0; i < 100; i++) {
      const rows = await db.query<{ at: number | null }>(
        `SELECT (applied->'checkout'->>'at')::float8 AS at FROM ${db.t('fleet_replicas')} WHERE (applied->'checkout'->>'seq')::bigint >= $1`,
        [res.seq],
      );
      if (rows.length >= replicas.length) {
        lags.push(Math.round(Math.max(...rows.map((r) => r.at!)) - row!.created));
        break;
      }
      await sleep(100);
    }
    await sleep(300 + Math.random() * 700);
  }
  // Give the route back to the replicas.
  await db.query(`UPDATE ${db.t('fleet_leases')} SET expires_at = now() WHERE route = 'checkout'`);
  await db.close();
  return lags;
}

async function decider(replicas: Replica[]): Promise<Replica | undefined> {
  for (const r of replicas) {
    const f = await getJson<FleetBody>(r.admin, '/fleet').catch(() => undefined);
    if (f?.self.leads.includes('checkout')) return r;
  }
  return undefined;
}

/** A burst of 200 requests, then until the decider's engine has counted all of them. */
async function evidenceLag(replicas: Replica[]): Promise<number[]> {
  const lags: number[] = [];
  let d: Replica | undefined;
  for (let i = 0; i < 100 && !(d = await decider(replicas)); i++) await sleep(200);
  if (!d) throw new Error('no decider');
  type Status = { routes: { variants: { evidence: { variant: { requests: number }; control: { requests: number } } }[] }[] };
  const count = async () => {
    const v = (await getJson<Status>(d!.admin, '/status')).routes[0]!.variants[0]!.evidence;
    return v.variant.requests + v.control.requests;
  };
  for (let t = 0; t < TRIALS; t++) {
    const before = await count();
    await Promise.all(Array.from({ length: 200 }, (_, i) => hit(replicas[i % replicas.length]!.port, `t${t}-u${i}`)));
    const served = Date.now();
    for (let i = 0; i < 200; i++) {
      if ((await count()) >= before + 200) {
        lags.push(Date.now() - served);
        break;
      }
      await sleep(50);
    }
  }
  return lags;
}

/** kill -9 the decider, time until another holds the lease; restart the victim each time. */
async function failover(dir: string, url: string, up: string, replicas: Replica[]): Promise<number[]> {
  const times: number[] = [];
  for (let t = 0; t < FAILOVERS; t++) {
    let d: Replica | undefined;
    for (let i = 0; i < 100 && !(d = await decider(replicas)); i++) await sleep(200);
    if (!d) throw new Error('no decider');
    d.child.proc.kill('SIGKILL');
    await d.child.exited;
    const killed = Date.now();
    const rest = replicas.filter((r) => r !== d);
    let next: Replica | undefined;
    for (let i = 0; i < 300 && !(next = await decider(rest)); i++) await sleep(50);
    if (next) times.push(Date.now() - killed);
    replicas.splice(replicas.indexOf(d), 1, await startReplica(dir, d.id, url, up, true));
  }
  return times;
}

void main();
