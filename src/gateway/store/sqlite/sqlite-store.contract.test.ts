import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../../../../test/support/temp-dirs.ts';
import { describeStoreContract } from '../store-contract.ts';
import { openSqliteStore } from './sqlite-store.ts';

describeStoreContract('SQLite (a file in WAL mode)', async (onCommit) => {
  const dir = makeTempDir('contract');
  const store = openSqliteStore(join(dir, 'gateway.db'), onCommit);
  const others: ReturnType<typeof openSqliteStore>[] = [];
  return {
    store,
    another: async () => {
      others.push(openSqliteStore(join(dir, 'gateway.db')));
      return others.at(-1)!;
    },
    dispose: async () => {
      for (const other of others) await other.close();
      await store.close();
      removeTempDir(dir);
    },
  };
});
