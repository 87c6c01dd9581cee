import pg from 'pg';
import type { ChangeSink, StoreChange } from '../store-changes.ts';
import {
  connectionLost,
  isConnectionLoss,
  isRetryableConflict,
  statementFailed,
  type TransactionStage,
} from './postgres-failures.ts';

export type Row = Record<string, unknown>;

/** Statements run on one client: a transaction's, or the pool's for a read of one statement. */
export interface Statements {
  all(sql: string, values?: readonly unknown[]): Promise<Row[]>;
  get(sql: string, values?: readonly unknown[]): Promise<Row | undefined>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, values?: readonly unknown[]): Promise<number>;
}

/** Attempts of a transaction PostgreSQL aborted for a deadlock, or whose BEGIN met a dead connection. */
const ATTEMPTS = 3;

/**
 * The gateway's PostgreSQL pool and the one transaction boundary every concept of the store writes
 * through. Each transaction is BEGIN ... COMMIT on one pooled client (READ COMMITTED; what a
 * `decide` reads is locked first, by the concept's own `FOR UPDATE` or advisory lock), and what it
 * changed goes to the change sink after the COMMIT, never after a rollback. A read of one
 * statement runs on the pool alone: PostgreSQL runs it as its own transaction.
 */
export class PostgresDatabase implements Statements {
  readonly pool: pg.Pool;
  readonly #onCommit: ChangeSink;
  readonly #onFailure: (error: unknown) => void;

  constructor(url: string, onCommit: ChangeSink, onFailure: (error: unknown) => void = () => {}) {
    // A server that does not answer fails a call within 10 s instead of hanging it; keepalive finds
    // a connection whose peer vanished without closing it.
    this.pool = new pg.Pool({
      connectionString: url,
      max: 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    // A client whose connection dies is dropped by the pool; the call that used it hears of it
    // from its query. Without these listeners a dead idle connection (PostgreSQL restarted, a
    // backend terminated) would be an unhandled 'error' event and end the gateway.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
    this.#onCommit = onCommit;
    this.#onFailure = onFailure;
  }

  async all(sql: string, values: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#read(sql, values)).rows;
  }

  async get(sql: string, values: readonly unknown[] = []): Promise<Row | undefined> {
    return (await this.#read(sql, values)).rows[0];
  }

  async run(sql: string, values: readonly unknown[] = []): Promise<number> {
    return (await this.#read(sql, values)).rowCount ?? 0;
  }

  /**
   * Runs `work` in one transaction: all of it is committed, or none of it. `work` notes what it
   * changed in `changes`; they go to the sink once the COMMIT succeeded. A deadlock PostgreSQL
   * broke, or a dead pooled connection found at BEGIN, runs `work` again on a fresh start (nothing
   * of it was kept); any other failure is rolled back, told to `onFailure` and thrown, a lost
   * connection as an OpenViberError that says so.
   */
  async transaction<T>(work: (tx: Statements, changes: StoreChange[]) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let stage: TransactionStage = 'connect';
      let client: pg.PoolClient | undefined;
      const changes: StoreChange[] = [];
      let result: T;
      try {
        client = await this.pool.connect();
        stage = 'begin';
        await client.query('BEGIN');
        stage = 'work';
        result = await work(clientStatements(client), changes);
        stage = 'commit';
        await client.query('COMMIT');
      } catch (error) {
        const lost = isConnectionLoss(error);
        if (client) await rollBack(client, lost ? error : undefined);
        const again = lost ? stage === 'connect' || stage === 'begin' : isRetryableConflict(error);
        if (again && attempt < ATTEMPTS) continue;
        this.#onFailure(error);
        throw lost ? connectionLost(error, stage) : statementFailed(error);
      }
      client.release();
      // Outside the try: a listener that throws cannot make a committed transaction look failed.
      if (changes.length > 0) this.#onCommit(changes);
      return result;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** One statement on the pool; once more on another connection when the first one was dead. */
  async #read(sql: string, values: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pool.query<Row>(prepared(sql, values));
      } catch (error) {
        if (!isConnectionLoss(error)) throw statementFailed(error);
        if (attempt < ATTEMPTS) continue;
        throw connectionLost(error, 'read');
      }
    }
  }
}

function clientStatements(client: pg.PoolClient): Statements {
  return {
    all: async (sql, values = []) => (await client.query<Row>(prepared(sql, values))).rows,
    get: async (sql, values = []) => (await client.query<Row>(prepared(sql, values))).rows[0],
    run: async (sql, values = []) => (await client.query<Row>(prepared(sql, values))).rowCount ?? 0,
  };
}

/** Rolls back what the failed transaction did; a client whose connection is gone leaves the pool. */
async function rollBack(client: pg.PoolClient, lost: unknown): Promise<void> {
  if (lost) {
    client.release(lost instanceof Error ? lost : new Error(String(lost)));
    return;
  }
  try {
    await client.query('ROLLBACK');
    client.release();
  } catch (error) {
    client.release(error instanceof Error ? error : new Error(String(error)));
  }
}

const names = new Map<string, string>();

/**
 * Every statement as a named prepared statement: each connection parses and plans it once, as the
 * embedded store caches its statements (the group commit's few statements run per stored batch).
 */
function prepared(text: string, values: readonly unknown[]): pg.QueryConfig<unknown[]> {
  let name = names.get(text);
  if (!name) {
    name = `openviber_${names.size + 1}`;
    names.set(text, name);
  }
  return { name, text, values: values as unknown[] };
}
