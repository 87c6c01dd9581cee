import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../store-contract.ts';
import { openSqliteStore } from './sqlite-store.ts';

describeStoreContract('SQLite (a file in WAL mode)', async (onCommit) => {
  const dir = mkdtempSync(join(tmpdir(), 'openviber-contract-'));
  const store = openSqliteStore(join(dir, 'gateway.db'), onCommit);
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
