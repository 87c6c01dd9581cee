import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskSubmit } from '../protocol/index.ts';
import { openDaemonDb } from './daemon-db.ts';
import { resumeOf, TaskJournal } from './task-journal.ts';

const submit: TaskSubmit = {
  type: 'task:submit',
  commandId: 'c1',
  taskId: 'task_a',
  goal: 'count',
} as TaskSubmit;

describe('TaskJournal', () => {
  it('gives a restarted daemon each running task: its submit, checkpoint, calls in flight and follow-ups', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    try {
      const first = new TaskJournal(openDaemonDb(join(dir, 'outbox.db')));
      first.start('task_a', submit, '/work/a');
      first.start('task_b', { ...submit, taskId: 'task_b' }, '/work/b');
      first.chunk('task_a', { type: 'start' });
      first.chunk('task_a', {
        type: 'tool-input-available',
        toolCallId: 'call_1',
        toolName: 'shell',
        input: { command: 'ls' },
      });
      first.chunk('task_a', { type: 'tool-output-available', toolCallId: 'call_1' });
      first.chunk('task_a', {
        type: 'tool-input-available',
        toolCallId: 'call_2',
        toolName: 'shell',
        input: { command: 'sleep 5' },
      });
      first.checkpoint('task_a', {
        messages: [{ role: 'user', content: 'count' }],
        approvals: [],
        usage: {},
        evidence: [],
        lastText: '',
      });
      first.followUp('task_a', { id: 'm1', text: 'and then?', injectionMode: 'followup' });
      first.followUp('task_a', { id: 'm2', text: 'also', injectionMode: 'followup' });
      first.applied('task_a', 'm1');
      first.end('task_b');
      // No close: what a killed process leaves.
      const tasks = new TaskJournal(openDaemonDb(join(dir, 'outbox.db'))).tasks();
      expect(tasks.map((task) => task.taskId)).toEqual(['task_a']);
      const [task] = tasks;
      expect(task!.submit).toEqual(submit);
      expect(task!.spaceId).toBe('/work/a');
      expect(task!.followUps.map((item) => item.id)).toEqual(['m2']);
      expect(resumeOf(task!)).toEqual({
        checkpoint: {
          messages: [{ role: 'user', content: 'count' }],
          approvals: [],
          usage: {},
          evidence: [],
          lastText: '',
        },
        messageOpen: true,
        interrupted: [{ toolCallId: 'call_2', toolName: 'shell', input: { command: 'sleep 5' } }],
        followUps: [{ id: 'm2', text: 'also', injectionMode: 'followup' }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
