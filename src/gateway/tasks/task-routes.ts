import type { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import type { CreateTaskBody } from '../../protocol/index.ts';
import { CURSORS, nextCursor, pageRequest } from '../http/page-cursor.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { GatewayStore, TasksStore } from '../store/index.ts';
import { readTaskReport } from './task-report.ts';
import type { TaskRouter } from './task-router.ts';
import { readTaskScreenshot } from './task-screenshot.ts';
import type { StreamSessions } from './task-streams.ts';
import { readTaskTree } from './task-tree.ts';
import { toTaskEventView, toTaskMessageView, toTaskView } from './task-views.ts';

/** Where a task in an environment runs: the environments' bindings, as tasks see them. */
export interface TaskPlacement {
  /** The task sent to a viber where its environment is ready; as it is without an environment. */
  place(body: CreateTaskBody): Promise<CreateTaskBody>;
  /** The id of the environment named by id or name; 404 when there is none. */
  environmentId(idOrName: string): Promise<string>;
}

export interface TaskRouteDeps {
  store: TasksStore & Pick<GatewayStore, 'getViber'>;
  router: TaskRouter;
  streams: StreamSessions;
  placement: TaskPlacement;
}

/** The task routes of the table (src/protocol/task-api.ts): create, list, show, stop, follow-up
 * messages, approvals, the report, its screenshots, and the SSE stream. */
export function taskRoutes({ store, router, streams, placement }: TaskRouteDeps): Hono<GatewayEnv> {
  return routes()
    .json('tasks.list', async ({ query }) => {
      const { viberId, status, environmentId } = query;
      const filter = {
        ...pageRequest(CURSORS.tasks, query),
        ...(viberId ? { viberId } : {}),
        ...(status ? { status } : {}),
      };
      const page = await store.taskPage(
        environmentId ? { ...filter, environmentId: await placement.environmentId(environmentId) } : filter,
      );
      return { tasks: page.items.map(toTaskView), nextCursor: nextCursor(CURSORS.tasks, page) };
    })
    .json('tasks.create', async ({ body }) => {
      // A task in an environment goes to a viber where the environment is ready.
      const placed = await placement.place(body);
      return toTaskView(await router.createTask(placed));
    })
    .json('tasks.get', async ({ params }) => {
      const task = await store.getTask(params.id);
      if (!task) throw new OpenViberError('not_found', `task ${params.id} not found`, 404);
      const [events, messages] = await Promise.all([
        store.listLifecycleEvents(params.id),
        store.listTaskMessages(params.id),
      ]);
      return {
        task: toTaskView(task),
        events: events.map(toTaskEventView),
        messages: messages.map(toTaskMessageView),
        ...(await readTaskTree(store, task)),
      };
    })
    .json('tasks.stop', async ({ params }) => toTaskView(await router.stopTask(params.id)))
    .json('tasks.message', async ({ params, body }) =>
      toTaskMessageView(await router.sendMessage(params.id, body)),
    )
    .json('tasks.approve', async ({ params, body }) => {
      await router.sendApproval(params.id, params.approvalId, body);
      return { taskId: params.id, approvalId: params.approvalId, approved: body.approved };
    })
    .stream('tasks.stream', (c) => streams.respond(c))
    .json('tasks.report', ({ params }) => readTaskReport(store, params.id))
    .file('tasks.screenshot', async ({ params }) => {
      const { mediaType, image } = await readTaskScreenshot(store, params.id, params.name);
      return new Response(image, {
        headers: {
          'content-type': mediaType,
          'content-length': String(image.byteLength),
          'cache-control': 'private, max-age=31536000, immutable',
          'x-content-type-options': 'nosniff',
          'content-disposition': `inline; filename="${params.name}"`,
        },
      });
    }).app;
}
