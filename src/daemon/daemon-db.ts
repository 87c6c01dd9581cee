import { closeSync, existsSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

/**
 * The daemon's own durable state, `<home>/daemon/outbox.db` (node:sqlite, WAL,
 * synchronous=NORMAL): a committed write survives a killed process (not a power cut: docs/
 * decisions.md, section 14). The outbox keeps its unacknowledged task events here, the task
 * runtime what it needs to resume each running task.
 */
export function openDaemonDb(path: string): DatabaseSync {
  // Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  const db = new DatabaseSync(path);
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS outbox_events (
      ord INTEGER PRIMARY KEY,
      task_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      frame TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_events_task ON outbox_events (task_id, seq);
    CREATE TABLE IF NOT EXISTS outbox_tasks (
      task_id TEXT PRIMARY KEY,
      next_seq INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS running_tasks (
      task_id TEXT PRIMARY KEY,
      submit TEXT NOT NULL,
      checkpoint TEXT,
      inflight TEXT NOT NULL DEFAULT '{}',
      followups TEXT NOT NULL DEFAULT '[]',
      suspended INTEGER NOT NULL DEFAULT 0
    );
  `);
  return db;
}
