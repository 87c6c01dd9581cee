import type { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import { OPENVIBER_VERSION } from '../../core/version.ts';
import type { GatewayEnv } from './route-context.ts';
import { routes } from './route-registrar.ts';

/**
 * GET /health: the one unauthenticated route; counts only, nothing private. Both are kept in
 * memory (the live connections, and a task count the change feed keeps), so a health check
 * reads no table, however many vibers and tasks there are.
 */
export function healthRoutes(deps: {
  connections: { readonly size: number };
  taskCount: { readonly value: number };
  /** Why this gateway cannot serve (its Redis bus unreachable): answered 503 with the reason. */
  unavailable?: () => string | undefined;
}): Hono<GatewayEnv> {
  return routes().json('health.get', () => {
    const reason = deps.unavailable?.();
    if (reason) throw new OpenViberError('internal', reason, 503);
    return {
      status: 'ok' as const,
      vibers: deps.connections.size,
      tasks: deps.taskCount.value,
      version: OPENVIBER_VERSION,
    };
  }).app;
}
