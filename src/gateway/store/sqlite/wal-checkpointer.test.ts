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
      // Nothing on this thread checkpoints: the database file grows only by the worker's hand.
      await waitFor(() => size(path) >= logicalSize(), { description: 'the first checkpoint, whole' });
      // A later write reuses the WAL from its start instead of growing it. SQLite starts the WAL over
      // only once a checkpoint has finished, which a loaded machine can delay past the next write, so
      // the write is tried a few times; without the worker the WAL would grow every time.
      let writes = 1;
      let reused = false;
      while (!reused && writes < 6) {
        // The file never shrinks: a WAL started over is written from its start, so it does not grow.
        const before = size(`${path}-wal`);
        write();
        writes += 1;
        reused = size(`${path}-wal`) <= before;
        await waitFor(() => size(path) >= logicalSize(), { description: `checkpoint ${writes}, whole` });
      }
      expect(reused).toBe(true);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: writes * 2_000 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });
});
