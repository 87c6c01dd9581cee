import { randomBytes } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type { TaskStatus } from '../../protocol/index.ts';
import type { NewCommand, TaskRecord } from '../store/gateway-store.ts';
import { type Row, SqliteDatabase } from '../store/sqlite-database.ts';
import { taskFromRow } from '../store/sqlite-rows.ts';
import {
  BINDING_COLUMNS,
  bindingFromRow,
  bindingParams,
  ENVIRONMENT_COLUMNS,
  environmentFromRow,
  environmentParams,
  logFromRow,
  secretFromRow,
} from './environment-rows.ts';
import type {
  BindingChange,
  BindingRecord,
  EnvironmentChange,
  EnvironmentStore,
  FullEnvironment,
  LogRecord,
  SecretRecord,
  VariableRecord,
} from './environment-store.ts';

/** Row ids of variables and secrets (never on the wire, so no protocol prefix). */
const rowId = (prefix: string) => `${prefix}_${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;

const INSERT_ENVIRONMENT = `INSERT INTO environments (${ENVIRONMENT_COLUMNS.join(', ')})
  VALUES (${ENVIRONMENT_COLUMNS.map((column) => `:${column}`).join(', ')})`;
const UPDATE_ENVIRONMENT = `UPDATE environments SET ${ENVIRONMENT_COLUMNS.filter((column) => column !== 'id')
  .map((column) => `${column} = :${column}`)
  .join(', ')} WHERE id = :id`;
const UPSERT_BINDING = `INSERT INTO environment_bindings (${BINDING_COLUMNS.join(', ')})
  VALUES (${BINDING_COLUMNS.map((column) => `:${column}`).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${BINDING_COLUMNS.filter((column) => column !== 'id')
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`;

/**
 * The environment tables on the gateway's `node:sqlite` database, through a connection of its own
 * (WAL allows it; the gateway store runs the migrations first). Each method is one transaction.
 */
export class SqliteEnvironmentStore implements EnvironmentStore {
  readonly #db: SqliteDatabase;

  constructor(path: string) {
    this.#db = new SqliteDatabase(path);
    const table = this.#db.get(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'environments'",
    );
    if (!table)
      throw new Error(`${path} has no environments table: open the gateway store (migrations) first`);
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  async createEnvironment(full: Omit<FullEnvironment, 'bindings'>): Promise<void> {
    this.#db.transaction(() => {
      this.#assertNameFree(full.environment.name, full.environment.id);
      this.#db.run(INSERT_ENVIRONMENT, environmentParams(full.environment));
      this.#replaceVariables(full.environment.id, full.variables);
      for (const secret of full.secrets) this.#putSecret(full.environment.id, secret);
    });
  }

  async getEnvironment(id: string): Promise<FullEnvironment | null> {
    return this.#full(this.#db.get('SELECT * FROM environments WHERE id = :id', { id }));
  }
  async findEnvironmentByName(name: string): Promise<FullEnvironment | null> {
    return this.#full(this.#db.get('SELECT * FROM environments WHERE name = :name', { name }));
  }
  async listEnvironments(): Promise<FullEnvironment[]> {
    return this.#db
      .all('SELECT * FROM environments ORDER BY name COLLATE NOCASE')
      .map((row) => this.#full(row)!);
  }

  async updateEnvironment(
    id: string,
    decide: (current: FullEnvironment) => EnvironmentChange,
  ): Promise<FullEnvironment | null> {
    return this.#db.transaction(() => {
      const current = this.#full(this.#db.get('SELECT * FROM environments WHERE id = :id', { id }));
      if (!current) return null;
      const change = decide(current);
      this.#assertNameFree(change.environment.name, id);
      this.#db.run(UPDATE_ENVIRONMENT, environmentParams(change.environment));
      if (change.variables) this.#replaceVariables(id, change.variables);
      for (const key of change.deleteSecrets ?? []) {
        this.#db.run('DELETE FROM environment_secrets WHERE environment_id = :id AND key = :key', {
          id,
          key,
        });
      }
      for (const secret of change.setSecrets ?? []) this.#putSecret(id, secret);
      for (const binding of change.bindings ?? []) this.#db.run(UPSERT_BINDING, bindingParams(binding));
      for (const command of change.commands ?? []) this.#enqueue(command);
      return this.#full(this.#db.get('SELECT * FROM environments WHERE id = :id', { id }));
    });
  }

  async deleteEnvironment(id: string): Promise<boolean> {
    return this.#db.transaction(() => {
      const bindings = this.#db.all('SELECT id FROM environment_bindings WHERE environment_id = :id', { id });
      for (const { id: bindingId } of bindings) {
        this.#db.run(
          "DELETE FROM commands WHERE task_id IS NULL AND json_extract(message, '$.bindingId') = :bindingId",
          {
            bindingId: bindingId as string,
          },
        );
        this.#db.run('DELETE FROM environment_logs WHERE binding_id = :bindingId', {
          bindingId: bindingId as string,
        });
      }
      this.#db.run('DELETE FROM environment_bindings WHERE environment_id = :id', { id });
      this.#db.run('DELETE FROM environment_vars WHERE environment_id = :id', { id });
      this.#db.run('DELETE FROM environment_secrets WHERE environment_id = :id', { id });
      return this.#db.run('DELETE FROM environments WHERE id = :id', { id }) > 0;
    });
  }

  async getBinding(id: string): Promise<BindingRecord | null> {
    const row = this.#db.get('SELECT * FROM environment_bindings WHERE id = :id', { id });
    return row ? bindingFromRow(row) : null;
  }
  async listBindingsOfViber(viberId: string): Promise<BindingRecord[]> {
    return this.#db
      .all('SELECT * FROM environment_bindings WHERE viber_id = :viberId ORDER BY rowid', {
        viberId,
      })
      .map(bindingFromRow);
  }

  async upsertBinding(
    environmentId: string,
    viberId: string,
    decide: (existing: BindingRecord | null) => BindingChange,
  ): Promise<BindingRecord> {
    return this.#db.transaction(() => {
      const row = this.#db.get(
        'SELECT * FROM environment_bindings WHERE environment_id = :environmentId AND viber_id = :viberId',
        { environmentId, viberId },
      );
      const change = decide(row ? bindingFromRow(row) : null);
      this.#applyBinding(change);
      return change.binding;
    });
  }

  async updateBinding(
    id: string,
    decide: (binding: BindingRecord) => BindingChange | null,
  ): Promise<BindingRecord | null> {
    return this.#db.transaction(() => {
      const row = this.#db.get('SELECT * FROM environment_bindings WHERE id = :id', { id });
      if (!row) return null;
      const current = bindingFromRow(row);
      const change = decide(current);
      if (!change) return current;
      this.#applyBinding(change);
      return change.binding;
    });
  }

  async appendLog(line: Omit<LogRecord, 'seq'>, keep: number): Promise<LogRecord> {
    return this.#db.transaction(() => {
      const last = this.#db.get(
        'SELECT MAX(seq) AS seq FROM environment_logs WHERE binding_id = :bindingId',
        {
          bindingId: line.bindingId,
        },
      );
      const record: LogRecord = { ...line, seq: Number(last?.seq ?? 0) + 1 };
      this.#db.run(
        `INSERT INTO environment_logs (binding_id, seq, generation, stream, line, at)
          VALUES (:bindingId, :seq, :generation, :stream, :line, :at)`,
        { ...record },
      );
      this.#db.run('DELETE FROM environment_logs WHERE binding_id = :bindingId AND seq <= :oldest', {
        bindingId: line.bindingId,
        oldest: record.seq - keep,
      });
      return record;
    });
  }
  async readLogs(bindingId: string, afterSeq: number, limit: number): Promise<LogRecord[]> {
    return this.#db
      .all(
        'SELECT * FROM environment_logs WHERE binding_id = :bindingId AND seq > :afterSeq ORDER BY seq LIMIT :limit',
        { bindingId, afterSeq, limit },
      )
      .map(logFromRow);
  }

  async countSecrets(): Promise<number> {
    return Number(this.#db.get('SELECT COUNT(*) AS n FROM environment_secrets')!.n);
  }
  async listTasksOfEnvironment(
    environmentId: string,
    filter: { viberId?: string; status?: TaskStatus; limit: number },
  ): Promise<TaskRecord[]> {
    return this.#db
      .all(
        `SELECT * FROM tasks WHERE json_extract(options, '$.environmentId') = :environmentId
        AND (:viberId IS NULL OR viber_id = :viberId) AND (:status IS NULL OR status = :status)
        ORDER BY rowid DESC LIMIT :limit`,
        {
          environmentId,
          viberId: filter.viberId ?? null,
          status: filter.status ?? null,
          limit: filter.limit,
        },
      )
      .map(taskFromRow);
  }
  async countLiveTasks(environmentId: string): Promise<number> {
    const row = this.#db.get(
      `SELECT COUNT(*) AS n FROM tasks WHERE json_extract(options, '$.environmentId') = :environmentId
        AND status IN ('pending', 'running')`,
      { environmentId },
    );
    return Number(row?.n ?? 0);
  }

  #full(row: Row | undefined): FullEnvironment | null {
    if (!row) return null;
    const environment = environmentFromRow(row);
    const id = environment.id;
    return {
      environment,
      variables: this.#db
        .all('SELECT key, value FROM environment_vars WHERE environment_id = :id ORDER BY key', {
          id,
        })
        .map((variable) => ({ key: variable.key as string, value: variable.value as string })),
      secrets: this.#db
        .all('SELECT * FROM environment_secrets WHERE environment_id = :id ORDER BY key', {
          id,
        })
        .map(secretFromRow),
      bindings: this.#db
        .all('SELECT * FROM environment_bindings WHERE environment_id = :id ORDER BY rowid', {
          id,
        })
        .map(bindingFromRow),
    };
  }

  #assertNameFree(name: string, ownId: string): void {
    const row = this.#db.get('SELECT id FROM environments WHERE name = :name AND id != :ownId', {
      name,
      ownId,
    });
    if (row)
      throw new OpenViberError('conflict', `an environment named "${name}" already exists (${row.id})`, 409);
  }

  #replaceVariables(environmentId: string, variables: VariableRecord[]): void {
    this.#db.run('DELETE FROM environment_vars WHERE environment_id = :environmentId', { environmentId });
    for (const variable of variables) {
      this.#db.run(
        `INSERT INTO environment_vars (id, environment_id, key, value, is_secret)
          VALUES (:id, :environmentId, :key, :value, 0)`,
        { id: rowId('var'), environmentId, key: variable.key, value: variable.value },
      );
    }
  }

  #putSecret(environmentId: string, secret: SecretRecord): void {
    this.#db.run(
      `INSERT INTO environment_secrets (id, environment_id, key, encrypted_value, kms_key_id, created_at, updated_at)
        VALUES (:id, :environmentId, :key, :encryptedValue, :kmsKeyId, :createdAt, :updatedAt)
        ON CONFLICT (environment_id, key) DO UPDATE SET encrypted_value = excluded.encrypted_value,
          kms_key_id = excluded.kms_key_id, updated_at = excluded.updated_at`,
      { id: rowId('sec'), environmentId, ...secret },
    );
  }

  #applyBinding(change: BindingChange): void {
    this.#db.run(UPSERT_BINDING, bindingParams(change.binding));
    if (change.command) this.#enqueue(change.command);
  }

  #enqueue(command: NewCommand): void {
    this.#db.run(
      `INSERT INTO commands (command_id, viber_id, task_id, type, message, created_at)
        VALUES (:commandId, :viberId, :taskId, :type, :message, :createdAt)`,
      { ...command },
    );
  }
}
