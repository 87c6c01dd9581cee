import type { NewCommand, OutboxStore } from '../outbox-store.ts';
import type { PostgresDatabase, Statements } from './postgres-database.ts';
import { commandFromRow } from './postgres-rows.ts';

// The commands table: queued inside the task and environment transactions (the helpers below),
// sent in order, removed on the daemon's acknowledgement, by whichever gateway gets it first.

/** Advisory lock class of a viber's outbox (the key is the hash of its id). */
export const OUTBOX_LOCK = 0x0bbe_0002;

/**
 * Queues commands, after taking each viber's outbox lock for the rest of the transaction. With
 * the lock, a viber's commands take their seq in the order their transactions commit, so a
 * gateway that sends "every command after seq n" never passes over one committed late with a
 * smaller seq by another gateway or another pooled connection. Called last in a transaction (the
 * locks are always taken after the concept's own rows), and the vibers' locks in one order, so
 * two transactions never wait on each other in a circle.
 */
export async function enqueueCommands(tx: Statements, commands: readonly NewCommand[]): Promise<void> {
  if (commands.length === 0) return;
  const vibers = [...new Set(commands.map((command) => command.viberId))].sort();
  await tx.run(
    `SELECT pg_advisory_xact_lock(${OUTBOX_LOCK}, hashtext(viber_id))
      FROM (SELECT viber_id FROM unnest($1::text[]) AS viber_id ORDER BY hashtext(viber_id)) AS locks`,
    [vibers],
  );
  await tx.run(
    // Seqs are drawn in the order the rows come out: the order the commands were given.
    `INSERT INTO commands (command_id, viber_id, task_id, binding_id, type, message, created_at)
      SELECT command_id, viber_id, task_id, binding_id, type, message, created_at
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
        WITH ORDINALITY AS c (command_id, viber_id, task_id, binding_id, type, message, created_at, n)
      ORDER BY n`,
    [
      commands.map((command) => command.commandId),
      commands.map((command) => command.viberId),
      commands.map((command) => command.taskId),
      commands.map(bindingIdOf),
      commands.map((command) => command.type),
      commands.map((command) => command.message),
      commands.map((command) => command.createdAt),
    ],
  );
}

/** Types of the task's outstanding commands, for a `decide` callback. */
export async function commandTypesOfTask(tx: Statements, taskId: string): Promise<Set<string>> {
  const rows = await tx.all('SELECT type FROM commands WHERE task_id = $1', [taskId]);
  return new Set(rows.map((row) => row.type as string));
}

export async function dropTaskCommands(tx: Statements, taskIds: readonly string[], which: 'all' | 'submit') {
  if (which === 'all') await tx.run('DELETE FROM commands WHERE task_id = ANY($1::text[])', [taskIds]);
  else
    await tx.run("DELETE FROM commands WHERE task_id = ANY($1::text[]) AND type = 'task:submit'", [taskIds]);
}

/** A binding's prepare and sync commands (they carry no task id; the binding's is in the message). */
export async function dropBindingCommands(tx: Statements, bindingIds: readonly string[]): Promise<void> {
  await tx.run('DELETE FROM commands WHERE binding_id = ANY($1::text[])', [bindingIds]);
}

/** The binding a command without a task is about (prepare, sync), from its message. */
function bindingIdOf(command: NewCommand): string | null {
  if (command.taskId !== null) return null;
  try {
    const { bindingId } = JSON.parse(command.message) as { bindingId?: unknown };
    return typeof bindingId === 'string' ? bindingId : null;
  } catch {
    return null;
  }
}

export function postgresOutbox(db: PostgresDatabase): OutboxStore {
  return {
    async listCommands(viberId, afterSeq, limit) {
      const rows = await db.all(
        'SELECT * FROM commands WHERE viber_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [viberId, afterSeq, limit],
      );
      return rows.map(commandFromRow);
    },
    async countCommands() {
      return Number((await db.get('SELECT count(*) AS n FROM commands'))!.n);
    },
    async acknowledgeCommand(viberId, commandId, at) {
      // DELETE ... RETURNING: of two gateways acknowledging (or claiming) the same command, one gets it.
      return db.transaction(async (tx) => {
        const row = await tx.get('DELETE FROM commands WHERE command_id = $1 AND viber_id = $2 RETURNING *', [
          commandId,
          viberId,
        ]);
        if (!row) return null;
        const command = commandFromRow(row);
        if (command.type === 'task:message') {
          const messageId = (JSON.parse(command.message) as { messageId: string }).messageId;
          await tx.run('UPDATE task_messages SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL', [
            at,
            messageId,
          ]);
        }
        return command;
      });
    },
  };
}
