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
import type { PostgresDatabase, Statements } from './postgres-database.ts';
import {
  BINDING_COLUMNS,
  bindingFromRow,
  bindingValues,
  ENVIRONMENT_COLUMNS,
  environmentValues,
  FULL_ENVIRONMENT,
  fullEnvironmentFromRow,
  logFromRow,
  placeholders,
} from './postgres-environment-rows.ts';
import { isUniqueViolation } from './postgres-failures.ts';
import { NAME_ORDER, nameOrderPage } from './postgres-name-order.ts';
import { dropBindingCommands, enqueueCommands } from './postgres-outbox.ts';

/** Advisory lock classes: a binding slot (environment, viber) that may not exist yet, a binding's log. */
export const BINDING_SLOT_LOCK = 0x0bbe_0003;
const BINDING_LOG_LOCK = 0x0bbe_0004;

const INSERT_ENVIRONMENT = `INSERT INTO environments (${ENVIRONMENT_COLUMNS.join(', ')})
  VALUES (${placeholders(ENVIRONMENT_COLUMNS.length)})`;
const UPDATE_ENVIRONMENT = `UPDATE environments SET ${ENVIRONMENT_COLUMNS.slice(1)
  .map((column, index) => `${column} = $${index + 2}`)
  .join(', ')} WHERE id = $1`;
const UPSERT_BINDING = `INSERT INTO environment_bindings (${BINDING_COLUMNS.join(', ')})
  VALUES (${placeholders(BINDING_COLUMNS.length)})
  ON CONFLICT (id) DO UPDATE SET ${BINDING_COLUMNS.slice(1)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`;
const PUT_SECRETS = `INSERT INTO environment_secrets (environment_id, key, encrypted_value, kms_key_id, created_at, updated_at)
  SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
  ON CONFLICT (environment_id, key) DO UPDATE SET encrypted_value = excluded.encrypted_value,
    kms_key_id = excluded.kms_key_id, updated_at = excluded.updated_at`;

const nameTaken = (name: string, id?: unknown) =>
  new OpenViberError('conflict', `an environment named "${name}" already exists${id ? ` (${id})` : ''}`, 409);

/** Environments, their variables, secrets, bindings and logs on PostgreSQL. */
export function postgresEnvironments(db: PostgresDatabase): EnvironmentsStore {
  const byId = async (on: Statements, id: string): Promise<FullEnvironment | null> => {
    const row = await on.get(`${FULL_ENVIRONMENT} WHERE e.id = $1`, [id]);
    return row ? fullEnvironmentFromRow(row) : null;
  };
  const assertNameFree = async (tx: Statements, name: string, ownId: string): Promise<void> => {
    const row = await tx.get('SELECT id FROM environments WHERE name = $1 AND id <> $2', [name, ownId]);
    if (row) throw nameTaken(name, row.id);
  };
  /** A statement that may meet a concurrent transaction's name: the unique index says conflict too. */
  const guardName = async (name: string, write: Promise<unknown>): Promise<void> => {
    try {
      await write;
    } catch (error) {
      throw isUniqueViolation(error, 'environments_name_key') ? nameTaken(name) : error;
    }
  };
  const replaceVariables = async (tx: Statements, environmentId: string, variables: VariableRecord[]) => {
    await tx.run('DELETE FROM environment_vars WHERE environment_id = $1', [environmentId]);
    if (variables.length === 0) return;
    await tx.run(
      'INSERT INTO environment_vars (environment_id, key, value) SELECT $1::text, * FROM unnest($2::text[], $3::text[])',
      [environmentId, variables.map((variable) => variable.key), variables.map((variable) => variable.value)],
    );
  };
  const putSecrets = async (tx: Statements, environmentId: string, secrets: readonly SecretRecord[]) => {
    if (secrets.length === 0) return;
    await tx.run(PUT_SECRETS, [
      environmentId,
      secrets.map((secret) => secret.key),
      secrets.map((secret) => secret.encryptedValue),
      secrets.map((secret) => secret.kmsKeyId),
      secrets.map((secret) => secret.createdAt),
      secrets.map((secret) => secret.updatedAt),
    ]);
  };
  const applyBinding = async (tx: Statements, change: BindingChange, changes: StoreChange[]) => {
    await tx.run(UPSERT_BINDING, bindingValues(change.binding));
    if (change.command) await enqueueCommands(tx, [change.command]);
    changes.push({ type: 'binding.changed', binding: change.binding });
  };

  return {
    async createEnvironment({ environment, variables, secrets }) {
      await db.transaction(async (tx, changes) => {
        await assertNameFree(tx, environment.name, environment.id);
        await guardName(environment.name, tx.run(INSERT_ENVIRONMENT, environmentValues(environment)));
        await replaceVariables(tx, environment.id, variables);
        await putSecrets(tx, environment.id, secrets);
        changes.push({ type: 'environment.changed', environmentId: environment.id });
      });
    },
    async getEnvironment(id) {
      return byId(db, id);
    },
    async findEnvironmentByName(name) {
      const row = await db.get(`${FULL_ENVIRONMENT} WHERE e.name = $1`, [name]);
      return row ? fullEnvironmentFromRow(row) : null;
    },
    async listEnvironments() {
      return (await db.all(`${FULL_ENVIRONMENT} ORDER BY ${NAME_ORDER}`)).map(fullEnvironmentFromRow);
    },
    async environmentPage(query) {
      const { where, values } = nameOrderPage(query);
      const rows = await db.all(
        `${FULL_ENVIRONMENT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${NAME_ORDER} LIMIT $1`,
        values,
      );
      return pageOf(
        rows,
        query.limit,
        fullEnvironmentFromRow,
        (row) => [row.name as string, row.id as string] as const,
      );
    },
    async updateEnvironment(id, decide) {
      return db.transaction(async (tx, changes) => {
        // The environment and its bindings are locked before decide reads them.
        if (!(await tx.get('SELECT id FROM environments WHERE id = $1 FOR UPDATE', [id]))) return null;
        await tx.run('SELECT id FROM environment_bindings WHERE environment_id = $1 ORDER BY id FOR UPDATE', [
          id,
        ]);
        const current = (await byId(tx, id))!;
        const change = decide(current);
        await assertNameFree(tx, change.environment.name, id);
        await guardName(
          change.environment.name,
          tx.run(UPDATE_ENVIRONMENT, environmentValues(change.environment)),
        );
        if (change.variables) await replaceVariables(tx, id, change.variables);
        if (change.deleteSecrets && change.deleteSecrets.length > 0) {
          await tx.run(
            'DELETE FROM environment_secrets WHERE environment_id = $1 AND key = ANY($2::text[])',
            [id, change.deleteSecrets],
          );
        }
        await putSecrets(tx, id, change.setSecrets ?? []);
        for (const binding of change.bindings ?? []) await tx.run(UPSERT_BINDING, bindingValues(binding));
        await enqueueCommands(tx, change.commands ?? []);
        changes.push({ type: 'environment.changed', environmentId: id });
        return byId(tx, id);
      });
    },
    async deleteEnvironment(id) {
      return db.transaction(async (tx, changes) => {
        if (!(await tx.get('SELECT id FROM environments WHERE id = $1 FOR UPDATE', [id]))) return false;
        const bindings = (
          await tx.all('SELECT id FROM environment_bindings WHERE environment_id = $1', [id])
        ).map((row) => row.id as string);
        await dropBindingCommands(tx, bindings);
        await tx.run('DELETE FROM environment_logs WHERE binding_id = ANY($1::text[])', [bindings]);
        await tx.run('DELETE FROM environment_bindings WHERE environment_id = $1', [id]);
        await tx.run('DELETE FROM environment_vars WHERE environment_id = $1', [id]);
        await tx.run('DELETE FROM environment_secrets WHERE environment_id = $1', [id]);
        await tx.run('DELETE FROM environments WHERE id = $1', [id]);
        changes.push({ type: 'environment.removed', environmentId: id });
        return true;
      });
    },
    async countSecrets() {
      // Provider keys (docs/settings.md) are sealed under the same master key: they count too.
      const row = await db.get(
        'SELECT (SELECT count(*) FROM environment_secrets) + (SELECT count(*) FROM provider_keys) AS n',
      );
      return Number(row!.n);
    },

    async getBinding(id) {
      const row = await db.get('SELECT * FROM environment_bindings WHERE id = $1', [id]);
      return row ? bindingFromRow(row) : null;
    },
    async listBindingsOfViber(viberId) {
      const rows = await db.all('SELECT * FROM environment_bindings WHERE viber_id = $1 ORDER BY position', [
        viberId,
      ]);
      return rows.map(bindingFromRow);
    },
    async upsertBinding(environmentId, viberId, decide) {
      return db.transaction(async (tx, changes) => {
        // The slot may be empty: an advisory lock on it makes a second creator wait and then see the first.
        await tx.run(
          `SELECT pg_advisory_xact_lock(${BINDING_SLOT_LOCK}, hashtext($1::text || '/' || $2::text))`,
          [environmentId, viberId],
        );
        const row = await tx.get(
          'SELECT * FROM environment_bindings WHERE environment_id = $1 AND viber_id = $2 FOR UPDATE',
          [environmentId, viberId],
        );
        const change = decide(row ? bindingFromRow(row) : null);
        await applyBinding(tx, change, changes);
        return change.binding;
      });
    },
    async updateBinding(id, decide) {
      return db.transaction(async (tx, changes) => {
        const row = await tx.get('SELECT * FROM environment_bindings WHERE id = $1 FOR UPDATE', [id]);
        if (!row) return null;
        const current = bindingFromRow(row);
        const change = decide(current);
        if (!change) return current;
        await applyBinding(tx, change, changes);
        return change.binding;
      });
    },

    async appendBindingLog(line, keep) {
      return db.transaction(async (tx, changes) => {
        // Its own statement: the next statement's snapshot then sees the last line a concurrent append committed.
        await tx.run(`SELECT pg_advisory_xact_lock(${BINDING_LOG_LOCK}, hashtext($1))`, [line.bindingId]);
        const row = await tx.get(
          `INSERT INTO environment_logs (binding_id, seq, generation, stream, line, at)
            SELECT $1::text, coalesce(max(seq), 0) + 1, $2::int, $3::text, $4::text, $5::text
              FROM environment_logs WHERE binding_id = $1
            RETURNING *`,
          [line.bindingId, line.generation, line.stream, line.line, line.at],
        );
        const record = logFromRow(row!);
        await tx.run('DELETE FROM environment_logs WHERE binding_id = $1 AND seq <= $2', [
          line.bindingId,
          record.seq - keep,
        ]);
        changes.push({ type: 'binding.log-appended', line: record });
        return record;
      });
    },
    async readBindingLogs(bindingId, afterSeq, limit) {
      const rows = await db.all(
        'SELECT * FROM environment_logs WHERE binding_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [bindingId, afterSeq, limit],
      );
      return rows.map(logFromRow);
    },
  };
}
