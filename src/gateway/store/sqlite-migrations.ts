import type { DatabaseSync } from 'node:sqlite';

/**
 * Numbered schema migrations; `PRAGMA user_version` records how many ran. Append new ones at the
 * end, never edit one that shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE vibers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    info TEXT,
    status TEXT,
    config_state TEXT,
    connected_at TEXT,
    last_heartbeat_at TEXT
  );
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    viber_id TEXT NOT NULL REFERENCES vibers(id),
    goal TEXT NOT NULL,
    messages TEXT,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    result TEXT,
    usage TEXT,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT
  );
  CREATE INDEX tasks_by_viber_status ON tasks(viber_id, status);
  CREATE INDEX tasks_by_status ON tasks(status);
  CREATE TABLE task_events (
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE task_messages (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    message TEXT NOT NULL,
    injection_mode TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
  );
  CREATE INDEX task_messages_by_task ON task_messages(task_id);
  CREATE TABLE commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    viber_id TEXT NOT NULL,
    task_id TEXT,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX commands_by_viber ON commands(viber_id, seq);
  CREATE INDEX commands_by_task ON commands(task_id);
  CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Runs the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: DatabaseSync): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the gateway database has schema version ${current}; this gateway knows up to ${MIGRATIONS.length}`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
