// The RecordStore contract on the real PostgreSQL: a fresh schema per store, dropped on close.
import { openStore } from '../../../../src/storage/open.js';
import { createTestSchema } from '../../../helpers/pg.js';
import { runRecordContract } from '../record-contract.js';

runRecordContract('postgres', async () => {
  const pgs = await createTestSchema();
  const stores = await openStore(pgs.url, { pool: 2 });
  return {
    store: stores.records,
    close: async () => {
      await stores.close();
      await pgs.drop();
    },
  };
});
