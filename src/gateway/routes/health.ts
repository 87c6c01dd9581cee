import { Hono } from 'hono';
import type { HealthResponse } from '../../protocol/index.ts';
import type { RouteDeps } from './route-deps.ts';

/** GET /health: the one unauthenticated route; counts only, nothing private. */
export function healthRoutes({ core }: RouteDeps): Hono {
  return new Hono().get('/', async (c) => {
    const body: HealthResponse = {
      status: 'ok',
      vibers: core.connections.size,
      tasks: await core.store.countTasks(),
    };
    return c.json(body);
  });
}
