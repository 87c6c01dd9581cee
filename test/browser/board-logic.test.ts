import { describe, expect, it } from 'vitest';
import type { TaskDetailResponse, TaskView } from '../../src/protocol/index.ts';
import { safeHref } from '../../web/src/lib/components/markdown/safe-url.ts';
import { relativeTime, taskTitle } from '../../web/src/lib/format.ts';
import { appliedBetween } from '../../web/src/lib/tasks/conversation/applied-messages.ts';
import { boardChunk } from '../../web/src/lib/tasks/conversation/board-chunk.ts';
import { reportCountsLine } from '../../web/src/lib/tasks/conversation/report-counts.ts';
import { groupTasks } from '../../web/src/lib/tasks/task-groups.ts';

// The board's pure logic, without a browser: task grouping, link safety, chunk mapping and the
// placement of follow-ups in the conversation.

const NOW = Date.parse('2030-06-15T12:00:00Z');
const hoursAgo = (hours: number) => new Date(NOW - hours * 3_600_000).toISOString();

function task(id: string, updatedHoursAgo: number, endedHoursAgo: number | null, goal = id): TaskView {
  return {
    id,
    viberId: 'viber_a',
    goal,
    status: endedHoursAgo === null ? 'running' : 'completed',
    options: {},
    createdAt: hoursAgo(updatedHoursAgo + 1),
    updatedAt: hoursAgo(updatedHoursAgo),
    startedAt: null,
    endedAt: endedHoursAgo === null ? null : hoursAgo(endedHoursAgo),
    error: null,
    result: null,
    usage: null,
    lastSeq: 0,
    stopRequested: false,
  };
}

describe('board logic', () => {
  it('groups tasks into Today, Last 7 days and Archived, newest first, and searches them', () => {
    const startOfToday = new Date(NOW);
    startOfToday.setHours(0, 0, 0, 0);
    const sinceMidnight = (NOW - startOfToday.getTime()) / 3_600_000;
    const tasks = [
      task('task_recent', 0.1, 0.1, 'Fix the login bug'),
      task('task_older_today', sinceMidnight - 0.5, null),
      task('task_week', sinceMidnight + 30, sinceMidnight + 30),
      task('task_archived', 24 * 9, 24 * 9),
      // Live for ten days: never archived, whatever its age.
      task('task_live', 24 * 10, null),
    ];
    const groups = groupTasks(tasks, NOW);
    expect(groups.map((group) => [group.id, group.tasks.map((item) => item.id)])).toEqual([
      ['today', ['task_recent', 'task_older_today']],
      ['week', ['task_week', 'task_live']],
      ['archived', ['task_archived']],
    ]);
    expect(groupTasks(tasks, NOW, 'LOGIN').flatMap((group) => group.tasks.map((item) => item.id))).toEqual([
      'task_recent',
    ]);
  });

  it('follows only web, mail and in-page links from Markdown', () => {
    expect(safeHref('https://example.com/a')).toBe('https://example.com/a');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safeHref('#tool-call_1')).toBe('#tool-call_1');
    expect(safeHref('/tasks/task_1')).toBe('/tasks/task_1');
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'data:text/html,x',
      '//evil.example',
      'vbscript:x',
    ]) {
      expect(safeHref(bad)).toBeUndefined();
    }
  });

  it('turns error and abort chunks into data parts the Chat keeps rendering past', () => {
    expect(boardChunk({ type: 'error', errorText: 'boom' }, 7)).toEqual({
      type: 'data-error',
      id: 'error-7',
      data: { errorText: 'boom' },
    });
    expect(boardChunk({ type: 'abort', reason: 'stopped' }, 9)).toEqual({
      type: 'data-abort',
      id: 'abort-9',
      data: { reason: 'stopped' },
    });
    const delta: Parameters<typeof boardChunk>[0] = { type: 'text-delta', id: 't', delta: 'x' };
    expect(boardChunk(delta, 3)).toBe(delta);
  });

  it('places follow-ups before the run that applied them', () => {
    const applied = (seq: number, messageId: string) => ({
      seq,
      type: 'task:progress',
      at: hoursAgo(0),
      data: { event: { kind: 'message-applied', messageId, injectionMode: 'followup' } },
    });
    const detail = {
      task: task('task_x', 0, null),
      messages: [],
      events: [
        { seq: 1, type: 'task:started', at: hoursAgo(0), data: {} },
        applied(20, 'msg_a'),
        applied(21, 'msg_b'),
        {
          seq: 22,
          type: 'task:progress',
          at: hoursAgo(0),
          data: { event: { kind: 'status', detail: 'thinking' } },
        },
        applied(40, 'msg_c'),
      ],
    } as TaskDetailResponse;
    expect(appliedBetween(detail, 5, 23)).toEqual(['msg_a', 'msg_b']);
    expect(appliedBetween(detail, 23, 41)).toEqual(['msg_c']);
    expect(appliedBetween(detail, 41, 100)).toEqual([]);
  });

  it('sums up a report in the same terms as its body (issue 16, item 7)', () => {
    const counts = (claims: number, verified: number, evidence: number) => ({
      claims,
      verified,
      unverified: claims - verified,
      evidence,
    });
    // No report tool call: the final answer is the report's one unverified claim, not a failed one.
    expect(reportCountsLine({ statedByAgent: false, counts: counts(1, 0, 1) })).toBe(
      'no claims stated · 1 piece of evidence',
    );
    expect(reportCountsLine({ statedByAgent: false, counts: counts(0, 0, 0) })).toBe(
      'no claims stated · 0 pieces of evidence',
    );
    expect(reportCountsLine({ statedByAgent: true, counts: counts(0, 0, 2) })).toBe(
      'no claims · 2 pieces of evidence',
    );
    expect(reportCountsLine({ statedByAgent: true, counts: counts(1, 1, 1) })).toBe(
      '1 of 1 claim verified · 1 piece of evidence',
    );
    expect(reportCountsLine({ statedByAgent: true, counts: counts(3, 2, 4) })).toBe(
      '2 of 3 claims verified · 4 pieces of evidence',
    );
  });

  it('formats titles and times for dense rows', () => {
    expect(taskTitle('\n# Fix the build\nthen test')).toBe('Fix the build');
    expect(relativeTime(hoursAgo(0.001), NOW)).toBe('just now');
    expect(relativeTime(hoursAgo(0.5), NOW)).toBe('30 min ago');
    expect(relativeTime(hoursAgo(5), NOW)).toBe('5 h ago');
    expect(relativeTime(null, NOW)).toBe('never');
  });
});
