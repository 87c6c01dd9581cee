import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { makeTempDir, useTempDirs } from '../../test/support/temp-dirs.ts';
import { isSafeTaskId, SessionLog } from './session-log.ts';

useTempDirs();

describe('SessionLog', () => {
  it('appends every record in order, without waiting for the disk', async () => {
    const dir = makeTempDir('session');
    const log = new SessionLog(dir, pino({ level: 'silent' }));
    log.append('task_a', { kind: 'submit', goal: 'g', options: {}, spaceId: '/w' });
    for (let seq = 2; seq <= 500; seq += 1) {
      log.append('task_a', {
        kind: 'chunk',
        seq,
        chunk: { type: 'text-delta', id: 't', delta: String(seq) },
      });
    }
    log.append('task_a', { kind: 'outcome', status: 'stopped', reason: 'r' });
    await log.close('task_a');
    const lines = readFileSync(log.pathFor('task_a'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(501);
    expect(lines[0]).toMatchObject({ kind: 'submit', goal: 'g', at: expect.any(String) });
    expect(lines.slice(1, 500).map((line) => line.seq)).toEqual(
      Array.from({ length: 499 }, (_, index) => index + 2),
    );
    expect(lines[500]).toMatchObject({ kind: 'outcome', status: 'stopped' });
  });

  it('writes many tasks at once, keeps each file open while its task runs and closes it when it ends', async () => {
    const dir = makeTempDir('session');
    const log = new SessionLog(dir, pino({ level: 'silent' }));
    const tasks = Array.from({ length: 20 }, (_, index) => `task_${index}`);
    for (let seq = 1; seq <= 10; seq += 1) {
      for (const taskId of tasks) {
        log.append(taskId, { kind: 'chunk', seq, chunk: { type: 'text-delta', id: 't', delta: `${seq}` } });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Ended tasks give their file back; running ones keep it, and `flush` puts every line on disk.
    await Promise.all(tasks.slice(0, 10).map((taskId) => log.close(taskId)));
    const open = openFiles(dir);
    expect(tasks.slice(0, 10).filter((taskId) => open.has(log.pathFor(taskId)))).toEqual([]);
    expect(tasks.slice(10).filter((taskId) => !open.has(log.pathFor(taskId)))).toEqual([]);
    await log.flush();
    expect(openFiles(dir).size).toBe(0);
    for (const taskId of tasks) {
      const seqs = readFileSync(log.pathFor(taskId), 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    // A line after the flush opens the file again.
    log.append('task_19', { kind: 'stop', reason: 'late' });
    await log.close('task_19');
    expect(readFileSync(log.pathFor('task_19'), 'utf8')).toContain('"late"');
  });

  it('never writes outside its folder', () => {
    expect(isSafeTaskId('task_m3k9x2a0b1c2-4f8a1e0c9d')).toBe(true);
    for (const bad of ['../x', 'a/b', '', '.hidden', 'a\\b', 'x'.repeat(201)])
      expect(isSafeTaskId(bad)).toBe(false);
  });
});

/** The files under `dir` this process holds open (Linux: /proc/self/fd). */
function openFiles(dir: string): Set<string> {
  const open = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.add(target);
    } catch {
      // Closed while listing.
    }
  }
  return open;
}
