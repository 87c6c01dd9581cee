import type { DatabaseSync } from 'node:sqlite';

export interface DurableBatchOptions {
  /** Sends frames to the gateway, in order (one socket write for all of them where it can). */
  send(frames: readonly string[]): void;
  /** After each commit: undefined when the batch is on disk, else why it is not. */
  committed?(error: Error | undefined): void;
  /** Runs the commit after the current turn of the event loop (default setImmediate). */
  schedule?(commit: () => void): { cancel(): void };
}

/**
 * One transaction per turn of the event loop for the daemon's writes to outbox.db (the outbox's
 * events and acks, the task journal beside them), and the frames that must not leave before those
 * writes are on disk.
 *
 * A burst of tasks writes an outbox row for every event, journal state beside it and deletes on
 * every ack: as one transaction each, every row pays its own WAL append, and every frame its own
 * socket write. The first write of a turn opens the batch (`begin`); the frames sent meanwhile
 * (`send`) wait behind it; when the turn's I/O callbacks have run, the batch commits and sends them
 * in the order they were sent. So a frame never leaves before the writes made before it are
 * committed (an event is on disk before it is sent, a command is acknowledged after what it did is
 * on disk), and a killed process loses only writes whose frames never left: nothing the gateway
 * saw is lost, and nothing is numbered twice.
 *
 * A commit that fails (a full disk) is rolled back and reported through `committed`; its frames
 * still go out, as an event the outbox could not write does (the outbox then stops the tasks).
 * Without an open batch, writes commit one by one and `send` sends at once.
 */
export class DurableBatch {
  readonly #db: DatabaseSync;
  readonly #options: DurableBatchOptions;
  #open = false;
  #closed = false;
  #frames: string[] = [];
  #pending: { cancel(): void } | undefined;

  constructor(db: DatabaseSync, options: DurableBatchOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** True while writes are collected for the next commit. */
  get open(): boolean {
    return this.#open;
  }

  /** Opens the batch (a transaction) unless one is open; its commit is scheduled. */
  begin(): void {
    if (this.#open || this.#closed) return;
    try {
      if (!this.#db.isTransaction) this.#db.exec('BEGIN');
    } catch {
      // The database is busy or failing: writes commit one by one, as without a batch.
      return;
    }
    this.#open = true;
    this.#pending = (this.#options.schedule ?? scheduleImmediate)(() => this.commit());
  }

  /** Sends the frame once everything written before it is committed: now when no batch is open. */
  send(frame: string): void {
    if (this.#open) this.#frames.push(frame);
    else this.#options.send([frame]);
  }

  /**
   * Commits now and sends the frames that waited, unless `send` is false: a new connection
   * replays the outbox itself, and whatever else waited belonged to the one before.
   */
  commit({ send = true }: { send?: boolean } = {}): void {
    if (!this.#open) return;
    this.#open = false;
    this.#pending?.cancel();
    this.#pending = undefined;
    const frames = this.#frames;
    this.#frames = [];
    let error: Error | undefined;
    try {
      // A failing write (SQLITE_FULL) may have rolled the transaction back already, and with it
      // the writes before it.
      if (!this.#db.isTransaction) throw new Error('the transaction was rolled back by a failed write');
      this.#db.exec('COMMIT');
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
      try {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      } catch {
        // Nothing more can be done here; the next batch begins a new transaction.
      }
    }
    this.#options.committed?.(error);
    if (send && frames.length > 0) this.#options.send(frames);
  }

  /** Commits what is open (sending its frames) and writes one by one from then on. */
  close(): void {
    this.commit();
    this.#closed = true;
  }
}

function scheduleImmediate(commit: () => void): { cancel(): void } {
  const immediate = setImmediate(commit);
  return { cancel: () => clearImmediate(immediate) };
}
