import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the WAL back into the database file. */
export const CHECKPOINT_EVERY_MS = 1_000;

/**
 * SQLite's automatic checkpoint runs inside a COMMIT once the WAL passes 1,000 pages: it copies
 * pages and fsyncs the database file on the thread that committed, which here is the gateway's
 * event loop, and it was the tail of the stream latency (a few ms every few hundred commits). So
 * the store turns it off (`wal_autocheckpoint = 0`) and this worker thread, on its own connection,
 * runs a PASSIVE checkpoint every second instead: it never waits for the writer, the writer never
 * waits for it, and the WAL stays bounded because SQLite starts it over once all of it was copied.
 */
export class WalCheckpointer {
  readonly #worker: Worker;

  constructor(path: string, everyMs = CHECKPOINT_EVERY_MS) {
    this.#worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, everyMs } });
    this.#worker.unref();
    // A checkpoint that fails is retried at the next tick; the commit path never depends on it.
    this.#worker.on('error', () => {});
  }

  /** Stops the worker; the store's own close then checkpoints what is left. */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

const CHECKPOINT_WORKER = `
const { workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
setInterval(() => {
  try { checkpoint.get(); } catch {}
}, workerData.everyMs);
`;
