import { readFileSync } from 'node:fs';
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

  it('never writes outside its folder', () => {
    expect(isSafeTaskId('task_m3k9x2a0b1c2-4f8a1e0c9d')).toBe(true);
    for (const bad of ['../x', 'a/b', '', '.hidden', 'a\\b', 'x'.repeat(201)])
      expect(isSafeTaskId(bad)).toBe(false);
  });
});
