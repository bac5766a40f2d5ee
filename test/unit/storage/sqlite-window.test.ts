import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/storage/sqlite.js';

describe('time windows over hourly aggregates', () => {
  it('includes the hour that contains `since`', () => {
    const store = openSqliteStore(':memory:');
    const hour = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000);
    store.write({
      pairs: [{ hour, route: 'r', shadow: 's', endpoint: 'GET /', count: 7 }],
      fields: [],
      noise: [],
      statuses: [],
      latency: [],
      examples: [],
      skips: [],
    });
    expect(store.rows({ since: hour + 30 * 60_000 }).pairs).toEqual([{ route: 'r', shadow: 's', endpoint: 'GET /', count: 7 }]);
    expect(store.rows({ since: hour + 3_600_000 }).pairs).toEqual([]);
    store.close();
  });
});
