import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import type { TaskEvent } from '../../protocol/index.ts';
import { addViber, aTask } from '../store/contract/contract-harness.ts';
import { type GatewayStore, openSqliteStore } from '../store/index.ts';
import { migrate, SCHEMA_VERSION } from '../store/sqlite/sqlite-migrations.ts';
import { toAppend } from './task-event-intake.ts';
import { outboxCommand } from './task-router.ts';

// Item 5 of the hardening issue: SQLite refuses JSON nested deeper than 1,000 levels, so a
// json_extract over a task's log threw once one chunk nested that deep, and the stream of the
// failed task never ended. The chunk type now has its own column.

const at = () => new Date().toISOString();
/** A chunk whose value nests `levels` deep, as a model's tool call arguments can. */
const deepChunk = (levels: number) =>
  JSON.parse(
    `{"type":"tool-input-available","toolCallId":"c","input":${'['.repeat(levels)}${']'.repeat(levels)}}`,
  );

describe('stream chunk types in their own column', () => {
  let dir: string;
  let path: string;
  let store: GatewayStore;

  beforeEach(async () => {
    dir = makeTempDir('chunk-type');
    path = join(dir, 'test.db');
    store = openSqliteStore(path);
    await addViber(store, 'viber_a');
    await store.insertTask(
      aTask('task_a', 'viber_a'),
      outboxCommand('viber_a', { type: 'task:submit', taskId: 'task_a', goal: 'g' }),
    );
  });
  afterEach(async () => {
    await store.close();
    removeTempDir(dir);
  });

  const events = (): TaskEvent[] => [
    { type: 'task:started', taskId: 'task_a', seq: 1, spaceId: 's' },
    { type: 'task:stream-chunk', taskId: 'task_a', seq: 2, chunk: deepChunk(1_500) },
    {
      type: 'task:stream-chunk',
      taskId: 'task_a',
      seq: 3,
      chunk: { type: 'error', errorText: 'model failed' },
    },
    { type: 'task:error', taskId: 'task_a', seq: 4, error: 'model failed' },
  ];

  it('finds a chunk type even when the log holds a chunk nested deeper than SQLite JSON allows', async () => {
    const results = await store.appendTaskEvents(
      'viber_a',
      events().map((event) => toAppend(event, at())),
    );
    expect(results.map((result) => result.outcome)).toEqual(['stored', 'stored', 'stored', 'stored']);
    expect(await store.hasStreamChunkOfType('task_a', 'error')).toBe(true);
    expect(await store.hasStreamChunkOfType('task_a', 'tool-input-available')).toBe(true);
    expect(await store.hasStreamChunkOfType('task_a', 'text-delta')).toBe(false);
    // The log still relays the deep chunk byte for byte.
    const [row] = await store.readTaskLog('task_a', 1, 1);
    expect(row?.payload).toBe(JSON.stringify(deepChunk(1_500)));
  });

  it('backfills the column of a database written before it, without JSON functions', async () => {
    await store.appendTaskEvents(
      'viber_a',
      events().map((event) => toAppend(event, at())),
    );
    const current = new DatabaseSync(path);
    const written = current.prepare('SELECT task_id, seq, type, payload, at FROM task_events').all();
    current.close();
    await store.close();
    // The same log in a database at schema 3, as an older gateway left it.
    rmSync(path);
    const db = new DatabaseSync(path);
    migrate(db, 3);
    const insert = db.prepare(
      'INSERT INTO task_events (task_id, seq, type, payload, at) VALUES (?, ?, ?, ?, ?)',
    );
    for (const row of written) insert.run(row.task_id!, row.seq!, row.type!, row.payload!, row.at!);
    db.exec(`INSERT INTO task_events (task_id, seq, type, payload, at) VALUES
      ('task_old', 1, 'task:stream-chunk', '{"type":"text-delta","id":"t","delta":"hi"}', 'now'),
      ('task_old', 2, 'task:stream-chunk', '{"type":"we\\"ird"}', 'now'),
      ('task_old', 3, 'task:completed', '{"result":{"text":"hi"}}', 'now')`);
    db.close();
    store = openSqliteStore(path);
    const check = new DatabaseSync(path);
    expect(check.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
    const rows = check
      .prepare('SELECT task_id, seq, chunk_type FROM task_events ORDER BY task_id, seq')
      .all();
    check.close();
    expect(rows.map((row) => ({ ...row }))).toEqual([
      { task_id: 'task_a', seq: 1, chunk_type: null },
      { task_id: 'task_a', seq: 2, chunk_type: 'tool-input-available' },
      { task_id: 'task_a', seq: 3, chunk_type: 'error' },
      { task_id: 'task_a', seq: 4, chunk_type: null },
      { task_id: 'task_old', seq: 1, chunk_type: 'text-delta' },
      { task_id: 'task_old', seq: 2, chunk_type: null },
      { task_id: 'task_old', seq: 3, chunk_type: null },
    ]);
    expect(await store.hasStreamChunkOfType('task_a', 'error')).toBe(true);
  });
});
