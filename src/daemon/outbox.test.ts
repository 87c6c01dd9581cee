import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonMessageSchema, decodeFrame, LIMITS } from '../protocol/index.ts';
import { openDaemonDb } from './daemon-db.ts';
import { Outbox } from './outbox.ts';

const chunk = (taskId: string, delta: string) =>
  ({ type: 'task:stream-chunk', taskId, chunk: { type: 'text-delta', id: 't', delta } }) as const;

describe('Outbox', () => {
  it('numbers each task on its own, from 1', () => {
    const outbox = new Outbox();
    const seqs = ['a', 'b', 'a', 'a', 'b'].map((taskId) => outbox.append(chunk(taskId, 'x')).event.seq);
    expect(seqs).toEqual([1, 1, 2, 3, 2]);
  });

  it('keeps events until a cumulative ack covers them and replays the rest in order', () => {
    const outbox = new Outbox();
    for (const taskId of ['a', 'b', 'a', 'b', 'a']) outbox.append(chunk(taskId, taskId));
    expect(outbox.ack('a', 2)).toBe(2);
    expect(outbox.ack('a', 2)).toBe(0);
    expect(outbox.pending().map((entry) => `${entry.event.taskId}${entry.event.seq}`)).toEqual([
      'b1',
      'b2',
      'a3',
    ]);
    expect(outbox.ack('b', 99)).toBe(2);
    expect(outbox.taskIdsWithPending()).toEqual(['a']);
    expect(JSON.parse(outbox.pending()[0]!.frame)).toMatchObject({ taskId: 'a', seq: 3 });
  });

  it('keeps numbering after an ack and restarts only after forget', () => {
    const outbox = new Outbox();
    outbox.append(chunk('a', '1'));
    outbox.ack('a', 1);
    expect(outbox.append(chunk('a', '2')).event.seq).toBe(2);
    outbox.forget('a');
    expect(outbox.size).toBe(0);
    expect(outbox.bytes).toBe(0);
    expect(outbox.append(chunk('a', '3')).event.seq).toBe(1);
  });

  it('stays correct across compaction of a long acknowledged prefix', () => {
    const outbox = new Outbox();
    for (let index = 0; index < 1_000; index += 1) outbox.append(chunk('a', String(index)));
    for (let seq = 1; seq <= 990; seq += 7) outbox.ack('a', seq);
    expect(outbox.pending()[0]!.event.seq).toBe(989);
    outbox.ack('a', 995);
    expect(outbox.pending().map((entry) => entry.event.seq)).toEqual([996, 997, 998, 999, 1_000]);
    expect(outbox.size).toBe(5);
  });

  it('reports overflow past its byte or event bound and recovers on ack', () => {
    const byCount = new Outbox({ maxEvents: 2 });
    for (let index = 0; index < 3; index += 1) byCount.append(chunk('a', 'x'));
    expect(byCount.overflowing).toBe(true);
    byCount.ack('a', 1);
    expect(byCount.overflowing).toBe(false);
    const byBytes = new Outbox({ maxBytes: 200 });
    byBytes.append(chunk('a', 'x'.repeat(100)));
    expect(byBytes.overflowing).toBe(false);
    byBytes.append(chunk('a', 'é'.repeat(50)));
    expect(byBytes.overflowing).toBe(true);
  });

  it('never builds a frame over the limit: a 2 MiB final answer is clipped and the gateway accepts it', () => {
    const outbox = new Outbox();
    const text = 'word '.repeat((2 * 1024 * 1024) / 5);
    const entry = outbox.append(
      { type: 'task:completed', taskId: 'a', result: { text } },
      LIMITS.maxFrameBytes,
    );
    expect(entry.bytes).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
    expect(entry.bytes).toBe(Buffer.byteLength(entry.frame));
    expect(entry.event).toMatchObject({ type: 'task:completed', taskId: 'a', seq: 1 });
    expect(decodeFrame(DaemonMessageSchema, entry.frame, LIMITS.maxFrameBytes).ok).toBe(true);
    const small = outbox.append({ type: 'task:error', taskId: 'b', error: 'e'.repeat(8_000) }, 4_096);
    expect(small.bytes).toBeLessThanOrEqual(4_096);
    expect(outbox.bytes).toBe(entry.bytes + small.bytes);
  });
});

describe('Outbox on disk', () => {
  const open = (dir: string, limits = {}) => {
    const db = openDaemonDb(join(dir, 'outbox.db'));
    return { db, outbox: new Outbox(limits, db) };
  };

  it('gives a new outbox on the same file, after an abrupt end, the unacknowledged events in order and the next seqs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    try {
      const first = open(dir);
      for (const taskId of ['a', 'b', 'a', 'b', 'a', 'c']) first.outbox.append(chunk(taskId, taskId));
      first.outbox.ack('a', 1);
      first.outbox.ack('c', 1);
      // No close(): what a killed process leaves (the WAL is not checkpointed).
      const second = open(dir);
      expect(statSync(join(dir, 'outbox.db')).mode & 0o777).toBe(0o600);
      expect(second.outbox.pending().map((entry) => `${entry.event.taskId}${entry.event.seq}`)).toEqual([
        'b1',
        'a2',
        'b2',
        'a3',
      ]);
      expect(second.outbox.size).toBe(4);
      expect(second.outbox.bytes).toBe(first.outbox.bytes);
      expect(second.outbox.taskIds().sort()).toEqual(['a', 'b', 'c']);
      expect(second.outbox.append(chunk('a', 'x')).event.seq).toBe(4);
      expect(second.outbox.append(chunk('c', 'x')).event.seq).toBe(2);
      expect(second.outbox.pending().at(-1)!.order).toBeGreaterThan(second.outbox.pending().at(-2)!.order);
      second.outbox.ack('a', 4);
      second.outbox.forget('b');
      const third = open(dir);
      expect(third.outbox.pending().map((entry) => `${entry.event.taskId}${entry.event.seq}`)).toEqual([
        'c2',
      ]);
      expect(third.outbox.nextSeq('a')).toBe(5);
      expect(third.outbox.nextSeq('b')).toBe(1);
      for (const { db } of [first, second, third]) db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps its bound on disk: past it the outbox overflows, and a reopened one still does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    try {
      const first = open(dir, { maxBytes: 300 });
      first.outbox.append(chunk('a', 'x'.repeat(100)));
      expect(first.outbox.overflowing).toBe(false);
      first.outbox.append(chunk('a', 'x'.repeat(100)));
      expect(first.outbox.overflowing).toBe(true);
      const second = open(dir, { maxBytes: 300 });
      expect(second.outbox.overflowing).toBe(true);
      second.outbox.ack('a', 1);
      expect(second.outbox.overflowing).toBe(false);
      first.db.close();
      second.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a write it could not make as overflow with the reason, and still sends the event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    try {
      const { db, outbox } = open(dir);
      db.exec(
        "CREATE TRIGGER full BEFORE INSERT ON outbox_events BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END",
      );
      const entry = outbox.append(chunk('a', 'x'));
      expect(entry.event.seq).toBe(1);
      expect(outbox.overflowing).toBe(true);
      expect(outbox.diskError).toBe('cannot write the outbox: database or disk is full');
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
