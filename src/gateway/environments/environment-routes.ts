import type { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import { CURSORS, nextCursor, pageRequest } from '../http/page-cursor.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { EnvironmentsStore } from '../store/index.ts';
import type { BindingService } from './binding-service.ts';
import type { EnvironmentService } from './environment-service.ts';
import type { SecretBox } from './secret-box.ts';
import { buildViberConfig } from './viber-config.ts';

const DEFAULT_LOG_PAGE = 500;

/** The environment routes of the table (section 6.1): CRUD, dry-run validation, bindings and their logs. */
export function environmentRoutes(
  environments: EnvironmentService,
  bindings: BindingService,
): Hono<GatewayEnv> {
  return routes()
    .json('environments.create', ({ body }) => environments.create(body))
    .json('environments.list', async ({ query }) => {
      const page = await environments.page({
        ...pageRequest(CURSORS.environments, query),
        ...(query.q !== undefined ? { nameContains: query.q } : {}),
      });
      return { environments: page.items, nextCursor: nextCursor(CURSORS.environments, page) };
    })
    .json('environments.validate', ({ body }) => environments.validate(body))
    .json('environments.get', ({ params }) => environments.view(params.id))
    .json('environments.update', ({ params, body }) => environments.update(params.id, body))
    .json('environments.delete', ({ params }) => environments.delete(params.id))
    .json('environments.bindings.create', ({ params, body }) => bindings.map(params.id, body))
    .json('environments.bindings.list', async ({ params }) => ({ bindings: await bindings.list(params.id) }))
    .json('environments.bindings.prepare', ({ params }) => bindings.prepare(params.id, params.bindingId))
    .json('environments.bindings.logs', ({ params, query }) =>
      bindings.logs(params.id, params.bindingId, query.after ?? 0, query.limit ?? DEFAULT_LOG_PAGE),
    ).app;
}

/**
 * GET /api/vibers/:id/config: a node device's own token (scope `node`), not an operator's; a
 * viber reads only its own configuration.
 */
export function viberConfigRoute(store: EnvironmentsStore, box: SecretBox): Hono<GatewayEnv> {
  return routes().json('vibers.configPull', async ({ params }, c) => {
    if (c.get('principal')?.viberId !== params.id) {
      throw new OpenViberError('forbidden', 'a viber may read only its own configuration', 403);
    }
    c.header('Cache-Control', 'no-store');
    return buildViberConfig(store, box, params.id);
  }).app;
}
