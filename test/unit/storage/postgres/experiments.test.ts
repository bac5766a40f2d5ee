// The ExperimentStore contract on the real PostgreSQL: a fresh schema per store, dropped on close.
import { openStore } from '../../../../src/storage/open.js';
import { createTestSchema } from '../../../helpers/pg.js';
import { runExperimentContract } from '../experiment-contract.js';

runExperimentContract('postgres', async () => {
  const pgs = await createTestSchema();
  const stores = await openStore(pgs.url, { pool: 2 });
  return {
    store: stores.experiments,
    close: async () => {
      await stores.close();
      await pgs.drop();
    },
  };
});
