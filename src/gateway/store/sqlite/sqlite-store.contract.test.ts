import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../../../../test/support/temp-dirs.ts';
import { describeStoreContract } from '../store-contract.ts';
import { openSqliteStore } from './sqlite-store.ts';

describeStoreContract('SQLite (a file in WAL mode)', async (onCommit) => {
  const dir = makeTempDir('contract');
  const store = openSqliteStore(join(dir, 'gateway.db'), onCommit);
  return {
    store,
    dispose: async () => {
      await store.close();
      removeTempDir(dir);
    },
  };
});
