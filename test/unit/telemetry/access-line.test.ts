// The access line is built by hand (telemetry/access-line.ts) and written straight into the log's
// batch (logger.ts `lineWriter`): it must be the line pino wrote, field for field and in order, with
// the logger's bindings, and respect the level.
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type AccessFields, accessFields } from '../../../src/telemetry/access-line.js';
import { createLogger, type Logger, lineWriter } from '../../../src/telemetry/logger.js';
import { tempDir } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait.js';

const base: AccessFields = {
  rid: '6f1c1f5e-5d2a-4a59-9d43-0a4f1d2b9c11',
  method: 'GET',
  path: '/api/items/1?x=1',
  route: 'checkout',
  arm: 'variant',
  upstream: 'checkout-v2',
  endpoint: 'http://127.0.0.1:8081',
  force: undefined,
  excluded: undefined,
  fault: undefined,
  status: 200,
  code: undefined,
  ms: 1.23,
  upstreamMs: 0.98,
  bytes: 1024,
  upgrade: undefined,
};

/** Every field set, none set, and the strings clients control at their most awkward. */
const cases: AccessFields[] = [
  base,
  { ...base, force: 'followed', excluded: 'targeting', fault: 'abort', code: 'FL_FAULT_ABORT', upgrade: 'websocket' },
  {
    ...base,
    method: undefined,
    path: undefined,
    route: undefined,
    arm: undefined,
    upstream: undefined,
    endpoint: undefined,
    upstreamMs: undefined,
  },
  { ...base, path: '/a"b\\c/%22?q="x"' },
  { ...base, path: '/caf\u00e9/\u65e5\u672c/\u{1f600}' },
  { ...base, path: '/tab\there\u0001\u001f\u007f' },
  { ...base, upgrade: 'h2c, "weird"\\' },
  { ...base, ms: Number.NaN, upstreamMs: Number.POSITIVE_INFINITY, bytes: 0, status: 499 },
  { ...base, ms: 0.1 + 0.2, upstreamMs: -0 },
  { ...base, route: 'r "quoted"', arm: 'arm\\1', upstream: 'up\u00e9', endpoint: 'http://[::1]:80' },
  { ...base, path: `/${'long-'.repeat(40)}` },
  // Durations in hundredths (how lifecycle rounds them) take a shortcut: it must print what pino does.
  ...[0.01, 0.05, 0.1, 0.3, 0.99, 1.01, 1.1, 9.9, 10.5, 99.99, 123.4, 1000.07, 65535.5, 86_400_000.01, 1e12 + 0.25].map((ms) => ({
    ...base,
    ms,
    upstreamMs: Math.round((ms / 3) * 100) / 100,
  })),
  ...Array.from({ length: 200 }, (_, i) => ({ ...base, ms: Math.round(i ** 2.7 * 1.37) / 100, upstreamMs: (i * 7) / 1000 })),
];

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter(Boolean);
/**
 * A logger on an open file descriptor (a path is opened asynchronously by sonic-boom, and a flush
 * asked before it is open waits for the next one, which these tests don't have).
 */
function opened(file: string, level = 'info', flushMs = 60_000): Logger {
  return createLogger(level, openSync(file, 'a'), flushMs);
}

/** The time is the only field allowed to differ (two writes, two clock reads). */
const timeless = (line: string): string => line.replace(/"time":"[^"]+"/, '"time":"T"');

async function both(log: Logger, file: string, fields: AccessFields[]): Promise<[string, string][]> {
  const w = lineWriter(log);
  expect(w).toBeDefined();
  for (const f of fields) {
    log.info({ type: 'access', ...f }, 'access');
    w!.batchedInfo(accessFields(f), 'access');
  }
  log.warn('flush');
  await waitFor(() => lines(file).length === fields.length * 2 + 1);
  const all = lines(file);
  return fields.map((_, i) => [all[2 * i]!, all[2 * i + 1]!]);
}

describe('access line', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it("is byte for byte pino's line, in order, for every shape of field", async () => {
    const file = join(tmp.dir, 'same.log');
    for (const [viaPino, direct] of await both(opened(file), file, cases)) {
      expect(timeless(direct)).toBe(timeless(viaPino));
      expect(Object.keys(JSON.parse(direct))).toEqual(Object.keys(JSON.parse(viaPino)));
    }
  });

  it("carries a child logger's bindings (workers, replicas) as pino does", async () => {
    const file = join(tmp.dir, 'child.log');
    const child = opened(file).child({ worker: 2, replica: 'r "1"' });
    const [viaPino, direct] = (await both(child, file, [base]))[0]!;
    expect(timeless(direct)).toBe(timeless(viaPino));
    expect(JSON.parse(direct)).toMatchObject({ svc: 'fieldlab', worker: 2, replica: 'r "1"', type: 'access' });
  });

  it('escapes a lone surrogate, so the line stays valid JSON in valid UTF-8', async () => {
    const file = join(tmp.dir, 'surrogate.log');
    const log = opened(file);
    lineWriter(log)!.batchedInfo(accessFields({ ...base, path: '/x\ud800y' }), 'access');
    log.warn('flush');
    await waitFor(() => lines(file).length === 2);
    expect(lines(file)[0]).toContain('"path":"/x\\ud800y"');
    expect(JSON.parse(lines(file)[0]!).path).toBe('/x\ud800y');
  });

  it('writes nothing when the level is above info, and follows a level change', async () => {
    const file = join(tmp.dir, 'level.log');
    const log = opened(file, 'warn');
    const w = lineWriter(log)!;
    expect(w.infoEnabled()).toBe(false);
    log.level = 'info';
    expect(w.infoEnabled()).toBe(true);
    log.level = 'error';
    expect(w.infoEnabled()).toBe(false);
  });

  it('waits for the flush timer like a batched pino line', async () => {
    const file = join(tmp.dir, 'timer.log');
    const log = opened(file, 'info', 50);
    lineWriter(log)!.batchedInfo(accessFields(base), 'access');
    expect(lines(file)).toEqual([]);
    await waitFor(() => lines(file).length === 1);
    expect(JSON.parse(lines(file)[0]!)).toMatchObject({ type: 'access', rid: base.rid, msg: 'access' });
  });

  it("has no writer for a logger that isn't Fieldlab's (the caller logs through pino)", () => {
    expect(lineWriter(pino({ level: 'silent' }))).toBeUndefined();
  });
});
