import { randomBytes } from 'node:crypto';
import { OpenViberError } from '../../../core/errors.ts';
import type {
  BindingChange,
  EnvironmentsStore,
  FullEnvironment,
  SecretRecord,
  VariableRecord,
} from '../environments-store.ts';
import type { StoreChange } from '../store-changes.ts';
import { pageOf } from '../store-page.ts';
import type { Row, SqliteDatabase } from './sqlite-database.ts';
import {
  BINDING_COLUMNS,
  bindingFromRow,
  bindingParams,
  ENVIRONMENT_COLUMNS,
  environmentFromRow,
  environmentParams,
  logFromRow,
  secretFromRow,
} from './sqlite-environment-rows.ts';
import { nameOrderPage } from './sqlite-name-order.ts';
import { dropBindingCommands, enqueueCommand } from './sqlite-outbox.ts';

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
const PUT_SECRET = `INSERT INTO environment_secrets (id, environment_id, key, encrypted_value, kms_key_id,
  created_at, updated_at) VALUES (:id, :environmentId, :key, :encryptedValue, :kmsKeyId, :createdAt, :updatedAt)
  ON CONFLICT (environment_id, key) DO UPDATE SET encrypted_value = excluded.encrypted_value,
  kms_key_id = excluded.kms_key_id, updated_at = excluded.updated_at`;

/** Environments, their variables, secrets, bindings and logs on the gateway's database. */
export function sqliteEnvironments(db: SqliteDatabase): EnvironmentsStore {
  const full = (row: Row | undefined): FullEnvironment | null => {
    if (!row) return null;
    const environment = environmentFromRow(row);
    const id = environment.id;
    return {
      environment,
      variables: db
        .all('SELECT key, value FROM environment_vars WHERE environment_id = :id ORDER BY key', { id })
        .map((variable) => ({ key: variable.key as string, value: variable.value as string })),
      secrets: db
        .all('SELECT * FROM environment_secrets WHERE environment_id = :id ORDER BY key', { id })
        .map(secretFromRow),
      bindings: db
        .all('SELECT * FROM environment_bindings WHERE environment_id = :id ORDER BY rowid', { id })
        .map(bindingFromRow),
    };
  };
  const byId = (id: string) => full(db.get('SELECT * FROM environments WHERE id = :id', { id }));

  const assertNameFree = (name: string, ownId: string): void => {
    const row = db.get('SELECT id FROM environments WHERE name = :name AND id != :ownId', { name, ownId });
    if (row)
      throw new OpenViberError('conflict', `an environment named "${name}" already exists (${row.id})`, 409);
  };
  const replaceVariables = (environmentId: string, variables: VariableRecord[]): void => {
    db.run('DELETE FROM environment_vars WHERE environment_id = :environmentId', { environmentId });
    for (const variable of variables) {
      db.run(
        `INSERT INTO environment_vars (id, environment_id, key, value, is_secret)
          VALUES (:id, :environmentId, :key, :value, 0)`,
        { id: rowId('var'), environmentId, key: variable.key, value: variable.value },
      );
    }
  };
  const putSecret = (environmentId: string, secret: SecretRecord): void => {
    db.run(PUT_SECRET, { id: rowId('sec'), environmentId, ...secret });
  };
  const applyBinding = (change: BindingChange, changes: StoreChange[]): void => {
    db.run(UPSERT_BINDING, bindingParams(change.binding));
    if (change.command) enqueueCommand(db, change.command);
    changes.push({ type: 'binding.changed', binding: change.binding });
  };

  return {
    async createEnvironment({ environment, variables, secrets }) {
      db.transaction((changes) => {
        assertNameFree(environment.name, environment.id);
        db.run(INSERT_ENVIRONMENT, environmentParams(environment));
        replaceVariables(environment.id, variables);
        for (const secret of secrets) putSecret(environment.id, secret);
        changes.push({ type: 'environment.changed', environmentId: environment.id });
      });
    },
    async getEnvironment(id) {
      return byId(id);
    },
    async findEnvironmentByName(name) {
      return full(db.get('SELECT * FROM environments WHERE name = :name', { name }));
    },
    async listEnvironments() {
      return db.all('SELECT * FROM environments ORDER BY name COLLATE NOCASE, id').map((row) => full(row)!);
    },
    async environmentPage(query) {
      // A range on environments_by_name; one statement per combination of conditions.
      const { where, params } = nameOrderPage(query);
      const rows = db.all(
        `SELECT * FROM environments ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY name COLLATE NOCASE, id LIMIT :limit`,
        params,
      );
      return pageOf(
        rows,
        query.limit,
        (row) => full(row)!,
        (row) => [row.name as string, row.id as string] as const,
      );
    },
    async updateEnvironment(id, decide) {
      return db.transaction((changes) => {
        const current = byId(id);
        if (!current) return null;
        const change = decide(current);
        assertNameFree(change.environment.name, id);
        db.run(UPDATE_ENVIRONMENT, environmentParams(change.environment));
        if (change.variables) replaceVariables(id, change.variables);
        for (const key of change.deleteSecrets ?? []) {
          db.run('DELETE FROM environment_secrets WHERE environment_id = :id AND key = :key', { id, key });
        }
        for (const secret of change.setSecrets ?? []) putSecret(id, secret);
        for (const binding of change.bindings ?? []) db.run(UPSERT_BINDING, bindingParams(binding));
        for (const command of change.commands ?? []) enqueueCommand(db, command);
        changes.push({ type: 'environment.changed', environmentId: id });
        return byId(id);
      });
    },
    async deleteEnvironment(id) {
      return db.transaction((changes) => {
        const bindings = db.all('SELECT id FROM environment_bindings WHERE environment_id = :id', { id });
        for (const { id: bindingId } of bindings) {
          dropBindingCommands(db, bindingId as string);
          db.run('DELETE FROM environment_logs WHERE binding_id = :bindingId', {
            bindingId: bindingId as string,
          });
        }
        db.run('DELETE FROM environment_bindings WHERE environment_id = :id', { id });
        db.run('DELETE FROM environment_vars WHERE environment_id = :id', { id });
        db.run('DELETE FROM environment_secrets WHERE environment_id = :id', { id });
        if (db.run('DELETE FROM environments WHERE id = :id', { id }) === 0) return false;
        changes.push({ type: 'environment.removed', environmentId: id });
        return true;
      });
    },
    async countSecrets() {
      // Provider keys (docs/settings.md) are sealed under the same master key: they count too.
      return Number(
        db.get(
          'SELECT (SELECT COUNT(*) FROM environment_secrets) + (SELECT COUNT(*) FROM provider_keys) AS n',
        )!.n,
      );
    },

    async getBinding(id) {
      const row = db.get('SELECT * FROM environment_bindings WHERE id = :id', { id });
      return row ? bindingFromRow(row) : null;
    },
    async listBindingsOfViber(viberId) {
      return db
        .all('SELECT * FROM environment_bindings WHERE viber_id = :viberId ORDER BY rowid', { viberId })
        .map(bindingFromRow);
    },
    async upsertBinding(environmentId, viberId, decide) {
      return db.transaction((changes) => {
        const row = db.get(
          'SELECT * FROM environment_bindings WHERE environment_id = :environmentId AND viber_id = :viberId',
          { environmentId, viberId },
        );
        const change = decide(row ? bindingFromRow(row) : null);
        applyBinding(change, changes);
        return change.binding;
      });
    },
    async updateBinding(id, decide) {
      return db.transaction((changes) => {
        const row = db.get('SELECT * FROM environment_bindings WHERE id = :id', { id });
        if (!row) return null;
        const current = bindingFromRow(row);
        const change = decide(current);
        if (!change) return current;
        applyBinding(change, changes);
        return change.binding;
      });
    },

    async appendBindingLog(line, keep) {
      return db.transaction((changes) => {
        const last = db.get('SELECT MAX(seq) AS seq FROM environment_logs WHERE binding_id = :bindingId', {
          bindingId: line.bindingId,
        });
        const record = { ...line, seq: Number(last?.seq ?? 0) + 1 };
        db.run(
          `INSERT INTO environment_logs (binding_id, seq, generation, stream, line, at)
            VALUES (:bindingId, :seq, :generation, :stream, :line, :at)`,
          { ...record },
        );
        db.run('DELETE FROM environment_logs WHERE binding_id = :bindingId AND seq <= :oldest', {
          bindingId: line.bindingId,
          oldest: record.seq - keep,
        });
        changes.push({ type: 'binding.log-appended', line: record });
        return record;
      });
    },
    async readBindingLogs(bindingId, afterSeq, limit) {
      return db
        .all(
          'SELECT * FROM environment_logs WHERE binding_id = :bindingId AND seq > :afterSeq ORDER BY seq LIMIT :limit',
          { bindingId, afterSeq, limit },
        )
        .map(logFromRow);
    },
  };
}
