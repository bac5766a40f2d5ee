// Workers of a group share one stdout, and under a container runtime it is a pipe: a write larger
// than PIPE_BUF can be split by the kernel and interleaved with a sibling's, tearing lines into
// invalid JSON. Three real processes write access lines (pino's and pre-built ones) into one pipe:
// every line must arrive whole.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const LINES = 20_000;

function writer(id: string): string {
  const logger = JSON.stringify(resolve('dist/src/telemetry/logger.js'));
  const line = JSON.stringify(resolve('dist/src/telemetry/access-line.js'));
  return `Promise.all([import(${logger}), import(${line})]).then(([{ createLogger, lineWriter }, { accessFields }]) => {
    const log = createLogger('info', 1, 60000);
    const w = lineWriter(log);
    for (let n = 0; n < ${LINES}; n++) {
      const path = '/p/${id}/' + n + '/' + 'x'.repeat(n % 300);
      if (n % 5 === 0) log.info({ type: 'access', w: '${id}', n, path }, 'access');
      else w.batchedInfo(accessFields({ rid: '${id}-' + n, method: 'GET', path, status: 200, ms: 1, bytes: n }), 'access');
    }
  });`;
}

describe('logger on a shared pipe', () => {
  it('keeps every line of three processes whole', async () => {
    // The parent's stdout is the test's pipe; its three children inherit it, as cluster workers do.
    const parent = `const { spawn } = require('node:child_process');
      for (const id of ['a', 'b', 'c']) spawn(process.execPath, ['-e', ${JSON.stringify(['a', 'b', 'c'].map(writer))}[['a','b','c'].indexOf(id)]], { stdio: ['ignore', 'inherit', 'inherit'] });`;
    const child = spawn(process.execPath, ['-e', parent], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((r) => child.stdout.on('end', r));
    const lines = out.split('\n').filter(Boolean);
    const torn = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    expect(torn.slice(0, 3)).toEqual([]);
    expect(lines.length).toBe(3 * LINES);
  });
});
