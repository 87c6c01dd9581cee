import type { Hono } from 'hono';
import type { TasksStore } from '../store/index.ts';
import type { GatewayEnv } from './route-context.ts';
import { routes } from './route-registrar.ts';

/** GET /health: the one unauthenticated route; counts only, nothing private. */
export function healthRoutes(deps: {
  connections: { readonly size: number };
  store: Pick<TasksStore, 'countTasks'>;
}): Hono<GatewayEnv> {
  return routes().json('health.get', async () => ({
    status: 'ok' as const,
    vibers: deps.connections.size,
    tasks: await deps.store.countTasks(),
  })).app;
}
