// The shared store contracts, run against the real PostgreSQL: a fresh schema per store opened
// through openStore (the backend table), dropped when the store closes.
import { openStore } from '../../../../src/storage/open.js';
import { createTestSchema } from '../../../helpers/pg.js';
import { runGuardrailContract } from '../guardrail-contract.js';
import { runStoreContract } from '../store-contract.js';

async function fresh(limits = {}) {
  const pgs = await createTestSchema();
  const stores = await openStore(pgs.url, { ...limits, pool: 2 });
  const close = async () => {
    await stores.close();
    await pgs.drop();
  };
  return { stores, close };
}

runStoreContract('postgres', async (limits) => {
  const { stores, close } = await fresh(limits);
  return { ...stores.diffs, close };
});

runGuardrailContract('postgres', async () => {
  const { stores, close } = await fresh();
  return { store: stores.guardrails, close };
});
