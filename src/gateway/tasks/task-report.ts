import { OpenViberError } from '../../core/errors.ts';
import { type TaskReport, TaskReportSchema } from '../../protocol/index.ts';
import type { TasksStore } from '../store/index.ts';

const PAGE = 1000;
const REPORT_PREFIX = '{"type":"data-report"';

type ReportStore = Pick<TasksStore, 'getTask' | 'readTaskLog'>;

/**
 * GET /api/tasks/:id/report: the task's verification report, read from its durable stream log
 * (the last `data-report` part), so the gateway serves it without knowing anything of the agent.
 */
export async function readTaskReport(store: ReportStore, taskId: string): Promise<TaskReport> {
  const task = await store.getTask(taskId);
  if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
  const report = await lastReport(store, taskId);
  if (!report) {
    const when = task.status === 'pending' || task.status === 'running' ? 'yet' : 'for this task';
    throw new OpenViberError('not_found', `task ${taskId} has no report ${when}`, 404);
  }
  return report;
}

async function lastReport(store: ReportStore, taskId: string): Promise<TaskReport | undefined> {
  let found: string | undefined;
  for (let after = 0; ; ) {
    const rows = await store.readTaskLog(taskId, after, PAGE);
    for (const row of rows) {
      if (row.type === 'task:stream-chunk' && row.payload.startsWith(REPORT_PREFIX)) found = row.payload;
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)!.seq;
  }
  if (!found) return undefined;
  const parsed = TaskReportSchema.safeParse((JSON.parse(found) as { data?: unknown }).data);
  if (!parsed.success)
    throw new OpenViberError('internal', `the stored report of ${taskId} is malformed`, 500);
  return parsed.data;
}
