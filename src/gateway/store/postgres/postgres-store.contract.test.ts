import { usePostgresServer } from '../../../../test/support/postgres-server.ts';
import { describeStoreContract } from '../store-contract.ts';
import { openPostgresStore } from './postgres-store.ts';

// A real PostgreSQL 15 cluster for this file; each test gets a database of its own, migrated by the store.
const postgres = usePostgresServer();

describeStoreContract('PostgreSQL (a throwaway cluster)', async (onCommit) => {
  const url = await postgres.server.createDatabase();
  const store = await openPostgresStore(url, onCommit);
  const others: Awaited<ReturnType<typeof openPostgresStore>>[] = [];
  return {
    store,
    another: async () => {
      others.push(await openPostgresStore(url));
      return others.at(-1)!;
    },
    dispose: async () => {
      for (const other of others) await other.close();
      await store.close();
      await postgres.server.dropDatabase(url);
    },
  };
});
