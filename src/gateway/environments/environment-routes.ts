import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { OpenViberError } from '../../core/errors.ts';
import {
  CreateBindingBodySchema,
  CreateEnvironmentBodySchema,
  LIMITS,
  UpdateEnvironmentBodySchema,
} from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { parseBody } from '../http/read-body.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { EnvironmentsStore } from '../store/index.ts';
import type { BindingService } from './binding-service.ts';
import type { EnvironmentService } from './environment-service.ts';
import type { SecretBox } from './secret-box.ts';
import { buildViberConfig } from './viber-config.ts';

function cursor(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new OpenViberError('validation_failed', `${name}: must be an integer from 0 to ${max}`, 400);
  }
  return value;
}

/** The gateway's body reader takes POST bodies only; PUT reads its own, with the same limit. */
async function putBody<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): Promise<z.output<S>> {
  const declared = Number(c.req.header('content-length'));
  const tooLarge = () =>
    new OpenViberError('payload_too_large', `request body exceeds ${LIMITS.maxBodyBytes} bytes`, 413);
  if (Number.isFinite(declared) && declared > LIMITS.maxBodyBytes) throw tooLarge();
  const text = await c.req.text();
  if (Buffer.byteLength(text) > LIMITS.maxBodyBytes) throw tooLarge();
  c.set('bodyText', text);
  return parseBody(c, schema);
}

/** /api/environments (section 6.1): CRUD, dry-run validation, bindings and their logs. */
export function environmentRoutes(
  environments: EnvironmentService,
  bindings: BindingService,
): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>()
    .post('/', async (c) => c.json(await environments.create(parseBody(c, CreateEnvironmentBodySchema)), 201))
    .get('/', async (c) => c.json({ environments: await environments.list() }))
    .post('/validate', async (c) =>
      c.json(await environments.validate(parseBody(c, CreateEnvironmentBodySchema))),
    )
    .get('/:id', async (c) => c.json(await environments.view(c.req.param('id'))))
    .put('/:id', async (c) =>
      c.json(await environments.update(c.req.param('id'), await putBody(c, UpdateEnvironmentBodySchema))),
    )
    .delete('/:id', async (c) => c.json(await environments.delete(c.req.param('id'))))
    .post('/:id/bindings', async (c) =>
      c.json(await bindings.map(c.req.param('id'), parseBody(c, CreateBindingBodySchema)), 202),
    )
    .get('/:id/bindings', async (c) => c.json({ bindings: await bindings.list(c.req.param('id')) }))
    .post('/:id/bindings/:bindingId/prepare', async (c) =>
      c.json(await bindings.prepare(c.req.param('id'), c.req.param('bindingId')), 202),
    )
    .get('/:id/bindings/:bindingId/logs', async (c) => {
      const after = cursor(c.req.query('after'), 'after', 0, Number.MAX_SAFE_INTEGER);
      const limit = cursor(c.req.query('limit'), 'limit', 500, 2000);
      return c.json(await bindings.logs(c.req.param('id'), c.req.param('bindingId'), after, limit));
    });
}

/**
 * GET /api/vibers/:id/config: the viber's own token (and `X-Viber-Id`), not the operator's; a
 * viber reads only its own configuration. Mounted before the operator auth of /api/*.
 */
export function viberConfigRoute(
  auth: GatewayAuth,
  store: EnvironmentsStore,
  box: SecretBox,
): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>().get('/:id/config', async (c) => {
    const result = await auth.authenticateViber({
      authorization: c.req.header('authorization'),
      viberId: c.req.header('x-viber-id') ?? c.req.param('id'),
    });
    if (!result.ok) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new OpenViberError(result.code, result.message, result.status);
    }
    if (result.principal.viber.id !== c.req.param('id')) {
      throw new OpenViberError('forbidden', 'a viber may read only its own configuration', 403);
    }
    c.header('Cache-Control', 'no-store');
    return c.json(await buildViberConfig(store, box, result.principal.viber.id));
  });
}
