import { Hono } from 'hono';
import { RegisterViberBodySchema } from '../../protocol/index.ts';
import { holdsSecret } from '../http/idempotency.ts';
import { parseBody } from '../http/read-body.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { ViberService } from './viber-service.ts';

/** /api/vibers: register (the token is shown once), list, show, revoke, config push. */
export function viberRoutes(vibers: ViberService): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>()
    .post('/', async (c) => {
      const body = parseBody(c, RegisterViberBodySchema);
      const viber = await vibers.register(body.name);
      // The token is the secret of this response: a retry replays it only from a sealed copy.
      holdsSecret(
        c,
        `viber ${viber.id} was registered; revoke it (DELETE /api/vibers/${viber.id}) and register again for a new token`,
      );
      return c.json(viber, 201);
    })
    .get('/', async (c) => c.json({ vibers: await vibers.list() }))
    .get('/:id', async (c) => c.json(await vibers.view(c.req.param('id'))))
    .delete('/:id', async (c) => c.json(await vibers.revoke(c.req.param('id'))))
    .post('/:id/config-push', async (c) => c.json(await vibers.pushConfig(c.req.param('id')), 202));
}
