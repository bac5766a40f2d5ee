import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/storage/sqlite.js';

describe('time windows over hourly aggregates', () => {
  it('includes the hour that contains `since`', async () => {
    const store = openSqliteStore(':memory:');
    const hour = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000);
    await store.write({
      pairs: [{ hour, route: 'r', shadow: 's', endpoint: 'GET /', count: 7 }],
      fields: [],
      noise: [],
      statuses: [],
      latency: [],
      examples: [],
      skips: [],
    });
    expect((await store.rows({ since: hour + 30 * 60_000 })).pairs).toEqual([{ route: 'r', shadow: 's', endpoint: 'GET /', count: 7 }]);
    expect((await store.rows({ since: hour + 3_600_000 })).pairs).toEqual([]);
    await store.close();
  });
});
