// `--workers N|auto` and `workers:`: the flag wins, auto is one per core, 1 (the default) keeps the
// single-process path, and a bad value is a usage error that names what is allowed.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workerCount } from '../../../src/cli/start.js';
import { tempDir } from '../../helpers/servers.js';

describe('workerCount', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const config = (workers?: string) => {
    const file = join(tmp.dir, `w-${workers ?? 'none'}.yaml`);
    writeFileSync(file, `${workers ? `workers: ${workers}\n` : ''}upstreams: { a: http://127.0.0.1:9 }\n`);
    return file;
  };

  it('reads workers: from the config (default 1, auto = one per core)', () => {
    expect(workerCount([], config(), {})).toEqual({ ok: true, count: 1 });
    expect(workerCount([], config('3'), {})).toEqual({ ok: true, count: 3 });
    expect(workerCount([], config('auto'), {})).toEqual({ ok: true, count: availableParallelism() });
  });

  it('lets --workers override the config', () => {
    expect(workerCount(['--workers', '2'], config('auto'), {})).toEqual({ ok: true, count: 2 });
    expect(workerCount(['--workers=auto'], config(), {})).toEqual({ ok: true, count: availableParallelism() });
    expect(workerCount(['--workers', '1'], config('4'), {})).toEqual({ ok: true, count: 1 });
  });

  it('refuses a --workers without a value', () => {
    expect(workerCount(['--config', 'x.yaml', '--workers'], config(), {})).toMatchObject({
      ok: false,
      error: expect.stringContaining('needs a value'),
    });
  });

  it('refuses anything but 1..256 or auto', () => {
    for (const bad of ['0', '-1', '2.5', 'many', '257', ''])
      expect(workerCount([`--workers=${bad}`], config(), {})).toMatchObject({
        ok: false,
        error: expect.stringContaining('1 to 256 or auto'),
      });
  });

  it('leaves an invalid file to the normal start, which reports it', () => {
    const file = join(tmp.dir, 'broken.yaml');
    writeFileSync(file, 'workers: [');
    expect(workerCount([], file, {})).toEqual({ ok: true, count: 1 });
  });
});
