import type { Hono } from 'hono';
import { holdsSecret } from '../http/idempotency.ts';
import { CURSORS, nextCursor, pageRequest } from '../http/page-cursor.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { ViberService } from './viber-service.ts';

/** The viber routes of the table: register (the token is shown once), list, show, revoke, config push. */
export function viberRoutes(vibers: ViberService): Hono<GatewayEnv> {
  return routes()
    .json('vibers.register', async ({ body }, c) => {
      const viber = await vibers.register(body.name);
      // The token is the secret of this response: a retry replays it only from a sealed copy.
      holdsSecret(
        c,
        `viber ${viber.id} was registered; revoke it (DELETE /api/vibers/${viber.id}) and register again for a new token`,
      );
      return viber;
    })
    .json('vibers.list', async ({ query }) => {
      const page = await vibers.page({
        ...pageRequest(CURSORS.vibers, query),
        ...(query.presence ? { presence: query.presence } : {}),
        ...(query.q !== undefined ? { q: query.q } : {}),
      });
      return { vibers: page.items, nextCursor: nextCursor(CURSORS.vibers, page) };
    })
    .json('vibers.get', ({ params }) => vibers.view(params.id))
    .json('vibers.revoke', ({ params }) => vibers.revoke(params.id))
    .json('vibers.configPush', ({ params }) => vibers.pushConfig(params.id)).app;
}
