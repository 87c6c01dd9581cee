import { Hono } from 'hono';
import { RegisterViberBodySchema } from '../../protocol/index.ts';
import { holdsSecret } from '../http/idempotency.ts';
import { parseBody } from '../http/read-body.ts';
import { getViberView, listViberViews, pushConfig, registerViber, revokeViber } from '../viber-service.ts';
import type { GatewayEnv, RouteDeps } from './route-deps.ts';

/** /api/vibers: register (the token is shown once), list, show, revoke, config push. */
export function viberRoutes({ core }: RouteDeps): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>()
    .post('/', async (c) => {
      const body = parseBody(c, RegisterViberBodySchema);
      const viber = await registerViber(core, body.name);
      // The token is the secret of this response: a retry replays it only from a sealed copy.
      holdsSecret(
        c,
        `viber ${viber.id} was registered; revoke it (DELETE /api/vibers/${viber.id}) and register again for a new token`,
      );
      return c.json(viber, 201);
    })
    .get('/', async (c) => c.json({ vibers: await listViberViews(core) }))
    .get('/:id', async (c) => c.json(await getViberView(core, c.req.param('id'))))
    .delete('/:id', async (c) => c.json(await revokeViber(core, c.req.param('id'))))
    .post('/:id/config-push', async (c) => c.json(await pushConfig(core, c.req.param('id')), 202));
}
