import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../../test/support/wait.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

const size = (path: string) => statSync(path).size;

describe('WAL checkpoints off the event loop', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeTempDir(dir);
  });

  it('copies the WAL into the database from its own thread, and the WAL starts over', async () => {
    dir = makeTempDir('wal');
    const path = join(dir, 'test.db');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const write = () => {
      db.exec('BEGIN');
      for (let row = 0; row < 2_000; row++) insert.run('x'.repeat(1_000));
      db.exec('COMMIT');
    };
    const checkpointer = new WalCheckpointer(path, 20);
    // The database's whole size as SQLite sees it (WAL included): the file reaches it once a
    // checkpoint copied every page back.
    const logicalSize = () => {
      const { page_count } = db.prepare('PRAGMA page_count').get() as { page_count: number };
      const { page_size } = db.prepare('PRAGMA page_size').get() as { page_size: number };
      return page_count * page_size;
    };
    try {
      write();
      const walAfterOne = size(`${path}-wal`);
      // Nothing on this thread checkpoints: the database file grows only by the worker's hand.
      await waitFor(() => size(path) >= logicalSize(), { description: 'the first checkpoint, whole' });
      write();
      await waitFor(() => size(path) >= logicalSize(), { description: 'the second checkpoint, whole' });
      // The second write reused the WAL from its start instead of growing it.
      expect(size(`${path}-wal`)).toBeLessThan(walAfterOne * 1.5);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 4_000 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });
});
