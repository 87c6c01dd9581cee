import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { makeTempDir, useTempDirs } from '../../test/support/temp-dirs.ts';
import { openDaemonDb } from './daemon-db.ts';
import { DurableBatch } from './durable-batch.ts';
import { Outbox } from './outbox.ts';
import { TaskJournal } from './task-journal.ts';

useTempDirs();

const chunk = (taskId: string, delta: string) =>
  ({ type: 'task:stream-chunk', taskId, chunk: { type: 'text-delta', id: 't', delta } }) as const;

/** A daemon's outbox on a fresh outbox.db, its batch sending into `sent`. */
function daemonStore() {
  const path = join(makeTempDir('batch'), 'outbox.db');
  const db = openDaemonDb(path);
  const outbox = new Outbox({}, db);
  const sent: string[][] = [];
  const errors: Array<Error | undefined> = [];
  const batch = new DurableBatch(db, {
    send: (frames) => sent.push([...frames]),
    committed: (error) => {
      errors.push(error);
      outbox.committed(error);
    },
  });
  /** Appends and sends as the task runtime does: inside the batch, the frame behind it. */
  const publish = (taskId: string, delta: string) => {
    batch.begin();
    const entry = outbox.append(chunk(taskId, delta));
    batch.send(entry.frame);
    return entry;
  };
  /** What another process reading the file sees (committed rows only). */
  const onDisk = () => {
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      return reader
        .prepare('SELECT task_id, seq FROM outbox_events ORDER BY ord')
        .all()
        .map((row) => `${row.task_id}${row.seq}`);
    } finally {
      reader.close();
    }
  };
  return { path, db, outbox, batch, sent, errors, publish, onDisk };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('DurableBatch', () => {
  it('commits the writes of one turn together and sends their frames after the commit, in order', async () => {
    const store = daemonStore();
    const journal = new TaskJournal(store.db);
    store.publish('a', '1');
    journal.chunk('a', { type: 'start' });
    store.publish('b', '1');
    store.publish('a', '2');
    store.batch.send(JSON.stringify({ type: 'command:ack', commandId: 'c1' }));
    // Nothing has left and nothing is on disk yet: the turn is still running.
    expect(store.sent).toEqual([]);
    expect(store.onDisk()).toEqual([]);
    await nextTurn();
    expect(store.onDisk()).toEqual(['a1', 'b1', 'a2']);
    expect(store.sent).toHaveLength(1);
    expect(store.sent[0]!.map((frame) => JSON.parse(frame))).toMatchObject([
      { taskId: 'a', seq: 1 },
      { taskId: 'b', seq: 1 },
      { taskId: 'a', seq: 2 },
      { type: 'command:ack', commandId: 'c1' },
    ]);
    expect(store.errors).toEqual([undefined]);
    // The next turn is a batch of its own.
    store.publish('a', '3');
    await nextTurn();
    expect(store.onDisk()).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(store.sent).toHaveLength(2);
    store.db.close();
  });

  it('sends at once, each write committing on its own, when no batch is open', () => {
    const store = daemonStore();
    store.batch.send('{"type":"pong"}');
    expect(store.sent).toEqual([['{"type":"pong"}']]);
    store.outbox.append(chunk('a', '1'));
    expect(store.onDisk()).toEqual(['a1']);
    store.db.close();
  });

  it('a process killed before the commit loses only what it never sent: the next one numbers on from disk', () => {
    const dir = makeTempDir('batch-killed');
    const path = join(dir, 'outbox.db');
    // A real process, SIGKILLed with its second batch open (written, not committed, not sent).
    const script = `
      import { openDaemonDb } from ${JSON.stringify(new URL('./daemon-db.ts', import.meta.url).href)};
      import { DurableBatch } from ${JSON.stringify(new URL('./durable-batch.ts', import.meta.url).href)};
      import { Outbox } from ${JSON.stringify(new URL('./outbox.ts', import.meta.url).href)};
      const db = openDaemonDb(${JSON.stringify(path)});
      const outbox = new Outbox({}, db);
      const batch = new DurableBatch(db, { send: (frames) => process.stdout.write(frames.join('\\n') + '\\n') });
      const publish = (delta) => {
        batch.begin();
        batch.send(outbox.append({ type: 'task:stream-chunk', taskId: 'a', chunk: { type: 'text-delta', id: 't', delta } }).frame);
      };
      publish('1');
      batch.commit();
      publish('2');
      publish('3');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    const sent = child.stdout
      .trim()
      .split('\n')
      .map((frame) => JSON.parse(frame).seq);
    expect(sent).toEqual([1]);
    const next = new Outbox({}, openDaemonDb(path));
    expect(next.pending().map((entry) => entry.event.seq)).toEqual([1]);
    expect(next.append(chunk('a', '2')).event.seq).toBe(2);
  });

  it('on a new connection commits without sending what waited: the outbox replay carries the events', () => {
    const store = daemonStore();
    store.publish('a', '1');
    store.batch.send(JSON.stringify({ type: 'command:ack', commandId: 'old-connection' }));
    store.batch.commit({ send: false });
    expect(store.sent).toEqual([]);
    expect(store.onDisk()).toEqual(['a1']);
    expect(store.outbox.pending().map((entry) => entry.event.seq)).toEqual([1]);
    store.db.close();
  });

  it('a commit that fails is rolled back and stops the producing tasks, and its frames still go out', async () => {
    const store = daemonStore();
    // A write the commit refuses (a deferred constraint), standing in for a full disk at commit.
    store.db.exec(`
      PRAGMA foreign_keys = ON;
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
    `);
    store.publish('a', '1');
    store.db.exec('INSERT INTO child (parent) VALUES (42)');
    await nextTurn();
    expect(store.errors).toHaveLength(1);
    expect(store.errors[0]?.message).toMatch(/FOREIGN KEY/);
    expect(store.onDisk()).toEqual([]);
    expect(store.outbox.overflowing).toBe(true);
    expect(store.outbox.diskError).toMatch(/^cannot write the outbox: .*FOREIGN KEY/);
    expect(store.sent.flat().map((frame) => JSON.parse(frame).seq)).toEqual([1]);
    // The next batch that commits clears it.
    store.publish('a', '2');
    await nextTurn();
    expect(store.errors.at(-1)).toBeUndefined();
    expect(store.outbox.diskError).toBeUndefined();
    expect(store.onDisk()).toEqual(['a2']);
    store.db.close();
  });

  it('a batch whose transaction a failed write rolled back is reported as not written', async () => {
    const store = daemonStore();
    store.publish('a', '1');
    // What SQLite does on some failures (SQLITE_FULL): the whole transaction is rolled back.
    store.db.exec('ROLLBACK');
    await nextTurn();
    expect(store.errors[0]?.message).toMatch(/rolled back/);
    expect(store.outbox.diskError).toMatch(/^cannot write the outbox: /);
    expect(store.onDisk()).toEqual([]);
    expect(store.sent.flat().map((frame) => JSON.parse(frame).seq)).toEqual([1]);
    store.db.close();
  });

  it('close commits what is open and leaves later writes to commit one by one', () => {
    const store = daemonStore();
    store.publish('a', '1');
    store.batch.close();
    expect(store.onDisk()).toEqual(['a1']);
    expect(store.sent).toHaveLength(1);
    store.publish('a', '2');
    expect(store.onDisk()).toEqual(['a1', 'a2']);
    expect(store.sent).toHaveLength(2);
    store.db.close();
  });
});
