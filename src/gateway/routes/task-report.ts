import { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import { type TaskReport, TaskReportSchema } from '../../protocol/index.ts';
import type { GatewayEnv, RouteDeps } from './route-deps.ts';

const PAGE = 1000;
const REPORT_PREFIX = '{"type":"data-report"';

/**
 * GET /api/tasks/:id/report: the task's verification report, read from its durable stream log
 * (the last `data-report` part), so the gateway serves it without knowing anything of the agent.
 */
export function taskReportRoutes(deps: RouteDeps): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>().get('/:id/report', async (c) => {
    const taskId = c.req.param('id');
    const task = await deps.core.store.getTask(taskId);
    if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
    const report = await lastReport(deps, taskId);
    if (!report) {
      const when = task.status === 'pending' || task.status === 'running' ? 'yet' : 'for this task';
      throw new OpenViberError('not_found', `task ${taskId} has no report ${when}`, 404);
    }
    return c.json(report);
  });
}

async function lastReport(deps: RouteDeps, taskId: string): Promise<TaskReport | undefined> {
  let found: string | undefined;
  for (let after = 0; ; ) {
    const rows = await deps.core.store.readTaskLog(taskId, after, PAGE);
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
