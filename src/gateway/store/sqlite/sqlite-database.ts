import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { ChangeSink, StoreChange } from '../store-changes.ts';

export type Params = Record<string, SQLInputValue>;
export type Row = Record<string, unknown>;

/**
 * The gateway's one `node:sqlite` connection, with cached prepared statements and the one
 * transaction boundary every concept of the store writes through: what a transaction changed is
 * handed to the change sink after its commit.
 */
export class SqliteDatabase {
  readonly connection: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #onCommit: ChangeSink;
  readonly #onFailure: (error: unknown) => void;

  /** `onFailure` hears of each transaction that failed and was rolled back (the metrics count them). */
  constructor(path: string, onCommit: ChangeSink, onFailure: (error: unknown) => void = () => {}) {
    restrictToOwner(path);
    this.connection = new DatabaseSync(path);
    this.connection.exec('PRAGMA busy_timeout = 5000');
    this.#onCommit = onCommit;
    this.#onFailure = onFailure;
  }

  get(sql: string, params: Params = {}): Row | undefined {
    return this.#statement(sql).get(params) as Row | undefined;
  }

  all(sql: string, params: Params = {}): Row[] {
    return this.#statement(sql).all(params) as Row[];
  }

  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params: Params = {}): number {
    return Number(this.#statement(sql).run(params).changes);
  }

  /** Runs a statement with positional parameters (`?`), for the hottest statements. */
  runValues(sql: string, ...values: SQLInputValue[]): void {
    this.#statement(sql).run(...values);
  }

  /**
   * Runs `work` in one immediate transaction: all of it is committed, or none of it. `work` notes
   * what it changed in `changes`; they go to the sink once the commit succeeded, never after a
   * rollback. Calls are synchronous, so no other transaction interleaves with this one.
   */
  transaction<T>(work: (changes: StoreChange[]) => T): T {
    const changes: StoreChange[] = [];
    let result: T;
    // Prepared once, like every statement: parsing BEGIN and COMMIT again for each group commit showed.
    this.#statement('BEGIN IMMEDIATE').run();
    try {
      result = work(changes);
      this.#statement('COMMIT').run();
    } catch (error) {
      // SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR, ...): a ROLLBACK then fails
      // with "no transaction is active" and would hide the error that says what went wrong.
      if (this.connection.isTransaction) this.connection.exec('ROLLBACK');
      this.#onFailure(error);
      throw error;
    }
    if (changes.length > 0) this.#onCommit(changes);
    return result;
  }

  close(): void {
    if (this.connection.isOpen) this.connection.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * The database holds token hashes, sealed secrets and every task's log: only its owner may read
 * it. SQLite creates the -wal and -shm files with the database file's own permissions, so the
 * file is created 0600 before SQLite opens it (whatever the process umask), and a database an
 * older version left 0644 is tightened, with its -wal and -shm.
 */
function restrictToOwner(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
