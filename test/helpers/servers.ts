// Real loopback servers for integration tests: upstreams on 127.0.0.1:0 and a Fieldlab started on a
// temp config file. Every helper returns a close() and tests close everything they open.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { afterEach } from 'vitest';
import { startApp, type App, type AppOptions } from '../../src/app.js';

/** A loopback upstream. */
export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests seen so far. */
  readonly seen: IncomingMessage[];
  close(): Promise<void>;
}

/** Echoes the request as JSON: who answered, method, url and headers. */
export function echo(name: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodyBytes: Buffer.concat(chunks).length,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

/**
 * Starts an upstream on 127.0.0.1:0 with `handler` (default: echo).
 */
export async function startUpstream(name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestUpstream> {
  const seen: IncomingMessage[] = [];
  const h = handler ?? echo(name);
  const server = createServer((req, res) => {
    seen.push(req);
    h(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Fieldlab running on a temp config file. */
export interface TestFieldlab {
  readonly app: App;
  readonly url: string;
  readonly adminUrl: string;
  readonly file: string;
  /** Atomically replaces the config file (write + rename, like editors and ConfigMaps). */
  writeConfig(yaml: string): void;
  close(): Promise<void>;
}

/** A logger that keeps every line as an object, for tests that check what was logged. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** A temp dir removed at close. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fieldlab-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Options of startFieldlab: the app's extra observers and pair tap pass straight through. */
export interface TestFieldlabOptions extends Pick<AppOptions, 'observers' | 'pairTap'> {
  readonly watch?: boolean;
  readonly env?: Record<string, string>;
  readonly logger?: Logger;
}

/**
 * Starts Fieldlab on `yaml` (listen/admin default to 127.0.0.1:0 unless the YAML sets them).
 */
export async function startFieldlab(yaml: string, opts: TestFieldlabOptions = {}): Promise<TestFieldlab> {
  const tmp = tempDir();
  const file = join(tmp.dir, 'fieldlab.yaml');
  const withDefaults = (text: string) =>
    (/^listen:/m.test(text) ? '' : 'listen: 127.0.0.1:0\n') +
    (/^admin:/m.test(text) ? '' : 'admin: { listen: 127.0.0.1:0 }\n') +
    (/^store:/m.test(text) ? '' : `store: sqlite:${join(tmp.dir, 'fieldlab.db')}\n`) +
    text;
  writeFileSync(file, withDefaults(yaml));
  const app = await startApp({
    configFile: file,
    logger: opts.logger ?? pino({ level: 'silent' }),
    watch: opts.watch ?? false,
    env: { ...process.env, ...opts.env },
    ...(opts.observers ? { observers: opts.observers } : {}),
    ...(opts.pairTap ? { pairTap: opts.pairTap } : {}),
  });
  return {
    app,
    url: `http://127.0.0.1:${app.proxyPort()}`,
    adminUrl: `http://127.0.0.1:${app.adminPort()}`,
    file,
    writeConfig(text) {
      const next = `${file}.next`;
      writeFileSync(next, withDefaults(text));
      renameSync(next, file);
    },
    async close() {
      await app.stop(2_000);
      tmp.remove();
    },
  };
}

/**
 * Upstreams and Fieldlabs opened by the tests of the calling `describe`, all closed after each test
 * (Fieldlabs first, so their pools let go of upstream sockets before the upstreams close).
 * @example const s = useServers(); it('…', async () => { const a = await s.upstream('a'); const fl = await s.fieldlab(yaml) })
 */
export function useServers(): {
  upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream>;
  fieldlab(yaml: string, opts?: TestFieldlabOptions): Promise<TestFieldlab>;
  /** Anything else to close after the test (closed before the Fieldlabs). */
  add(o: { close(): unknown }): void;
} {
  const open: { close(): unknown }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  return {
    async upstream(name, handler) {
      const u = await startUpstream(name, handler);
      open.unshift(u);
      return u;
    },
    async fieldlab(yaml, opts) {
      const f = await startFieldlab(yaml, opts);
      open.push(f);
      return f;
    },
    add: (o) => void open.push(o),
  };
}
