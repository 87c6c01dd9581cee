import { Hono } from 'hono';
import type { HealthResponse } from '../../protocol/index.ts';
import type { TasksStore } from '../store/index.ts';

/** GET /health: the one unauthenticated route; counts only, nothing private. */
export function healthRoutes(deps: {
  connections: { readonly size: number };
  store: Pick<TasksStore, 'countTasks'>;
}): Hono {
  return new Hono().get('/', async (c) => {
    const body: HealthResponse = {
      status: 'ok',
      vibers: deps.connections.size,
      tasks: await deps.store.countTasks(),
    };
    return c.json(body);
  });
}
