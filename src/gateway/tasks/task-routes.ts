import { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import {
  ApprovalBodySchema,
  type CreateTaskBody,
  CreateTaskBodySchema,
  type TaskDetailResponse,
  TaskMessageBodySchema,
  TaskStatusSchema,
} from '../../protocol/index.ts';
import { parseBody } from '../http/read-body.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { TasksStore } from '../store/index.ts';
import { readTaskReport } from './task-report.ts';
import type { TaskRouter } from './task-router.ts';
import type { StreamSessions } from './task-streams.ts';
import { toTaskEventView, toTaskMessageView, toTaskView } from './task-views.ts';

/** Where a task in an environment runs: the environments' bindings, as tasks see them. */
export interface TaskPlacement {
  /** The task sent to a viber where its environment is ready; as it is without an environment. */
  place(body: CreateTaskBody): Promise<CreateTaskBody>;
  /** The id of the environment named by id or name; 404 when there is none. */
  environmentId(idOrName: string): Promise<string>;
}

export interface TaskRouteDeps {
  store: TasksStore;
  router: TaskRouter;
  streams: StreamSessions;
  placement: TaskPlacement;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

function listLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIST_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new OpenViberError(
      'validation_failed',
      `limit: must be an integer from 1 to ${MAX_LIST_LIMIT}`,
      400,
    );
  }
  return limit;
}

function statusFilter(raw: string | undefined) {
  if (raw === undefined) return undefined;
  const parsed = TaskStatusSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OpenViberError(
      'validation_failed',
      `status: must be one of ${TaskStatusSchema.options.join(', ')}`,
      400,
    );
  }
  return parsed.data;
}

const APPROVAL_ID = /^[\x21-\x7e]{1,200}$/;

/** /api/tasks: create, list, show, stop, follow-up messages, approvals, the SSE stream, the report. */
export function taskRoutes({ store, router, streams, placement }: TaskRouteDeps): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>()
    .get('/', async (c) => {
      const status = statusFilter(c.req.query('status'));
      const viberId = c.req.query('viberId');
      const environmentId = c.req.query('environmentId');
      const filter = {
        limit: listLimit(c.req.query('limit')),
        ...(viberId ? { viberId } : {}),
        ...(status ? { status } : {}),
      };
      const tasks = await store.listTasks(
        environmentId ? { ...filter, environmentId: await placement.environmentId(environmentId) } : filter,
      );
      return c.json({ tasks: tasks.map(toTaskView) });
    })
    .post('/', async (c) => {
      const body = parseBody(c, CreateTaskBodySchema);
      // A task in an environment goes to a viber where the environment is ready.
      const placed = await placement.place(body);
      const task = await router.createTask(placed);
      return c.json(toTaskView(task), 201);
    })
    .get('/:id', async (c) => {
      const taskId = c.req.param('id');
      const task = await store.getTask(taskId);
      if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
      const [events, messages] = await Promise.all([
        store.listLifecycleEvents(taskId),
        store.listTaskMessages(taskId),
      ]);
      const body: TaskDetailResponse = {
        task: toTaskView(task),
        events: events.map(toTaskEventView),
        messages: messages.map(toTaskMessageView),
      };
      return c.json(body);
    })
    .post('/:id/stop', async (c) => c.json(toTaskView(await router.stopTask(c.req.param('id'))), 202))
    .post('/:id/messages', async (c) => {
      const message = await router.sendMessage(c.req.param('id'), parseBody(c, TaskMessageBodySchema));
      return c.json(toTaskMessageView(message), 202);
    })
    .post('/:id/approvals/:approvalId', async (c) => {
      const approvalId = c.req.param('approvalId');
      if (!APPROVAL_ID.test(approvalId)) {
        throw new OpenViberError(
          'validation_failed',
          'approvalId: must be 1 to 200 visible ASCII characters',
          400,
        );
      }
      const body = parseBody(c, ApprovalBodySchema);
      const taskId = c.req.param('id');
      await router.sendApproval(taskId, approvalId, body);
      return c.json({ taskId, approvalId, approved: body.approved }, 202);
    })
    .get('/:id/stream', (c) => streams.respond(c))
    .get('/:id/report', async (c) => c.json(await readTaskReport(store, c.req.param('id'))));
}
