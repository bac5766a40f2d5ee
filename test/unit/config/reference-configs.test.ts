// The shipped configs are documentation users copy from: they must stay valid.
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';

describe('shipped configs', () => {
  for (const file of ['config/fieldlab.yaml', 'config/demo.yaml']) {
    it(`${file} validates with no environment set`, () => {
      const r = loadConfigFile(file, {});
      expect(r.ok ? [] : r.errors).toEqual([]);
    });
  }
});
