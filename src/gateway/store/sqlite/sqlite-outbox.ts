import type { NewCommand, OutboxStore } from '../outbox-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { commandFromRow } from './sqlite-rows.ts';

// The commands table: queued inside the task and environment transactions (the helpers below),
// sent in order, removed on the daemon's acknowledgement.

export function enqueueCommand(db: SqliteDatabase, command: NewCommand): void {
  db.run(
    `INSERT INTO commands (command_id, viber_id, task_id, type, message, created_at)
      VALUES (:commandId, :viberId, :taskId, :type, :message, :createdAt)`,
    { ...command },
  );
}

/** Types of the task's outstanding commands, for a `decide` callback. */
export function commandTypesOfTask(db: SqliteDatabase, taskId: string): Set<string> {
  return new Set(
    db.all('SELECT type FROM commands WHERE task_id = :taskId', { taskId }).map((row) => row.type as string),
  );
}

export function dropTaskCommands(db: SqliteDatabase, taskId: string, which: 'all' | 'submit'): void {
  if (which === 'all') db.run('DELETE FROM commands WHERE task_id = :taskId', { taskId });
  else db.run("DELETE FROM commands WHERE task_id = :taskId AND type = 'task:submit'", { taskId });
}

/** A binding's prepare and sync commands (they carry no task id, the binding's is in the message). */
export function dropBindingCommands(db: SqliteDatabase, bindingId: string): void {
  db.run("DELETE FROM commands WHERE task_id IS NULL AND json_extract(message, '$.bindingId') = :bindingId", {
    bindingId,
  });
}

export function sqliteOutbox(db: SqliteDatabase): OutboxStore {
  return {
    async listCommands(viberId, afterSeq, limit) {
      return db
        .all(
          'SELECT * FROM commands WHERE viber_id = :viberId AND seq > :afterSeq ORDER BY seq LIMIT :limit',
          {
            viberId,
            afterSeq,
            limit,
          },
        )
        .map(commandFromRow);
    },
    async countCommands() {
      return db.get('SELECT COUNT(*) AS n FROM commands')!.n as number;
    },
    async acknowledgeCommand(viberId, commandId, at) {
      return db.transaction(() => {
        const row = db.get('SELECT * FROM commands WHERE command_id = :commandId AND viber_id = :viberId', {
          commandId,
          viberId,
        });
        if (!row) return null;
        const command = commandFromRow(row);
        db.run('DELETE FROM commands WHERE seq = :seq', { seq: command.seq });
        if (command.type === 'task:message') {
          const messageId = (JSON.parse(command.message) as { messageId: string }).messageId;
          db.run(
            'UPDATE task_messages SET delivered_at = :at WHERE id = :messageId AND delivered_at IS NULL',
            {
              at,
              messageId,
            },
          );
        }
        return command;
      });
    },
  };
}
