import type { Hono } from 'hono';
import { errorResponse } from '../http/http-errors.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { ReceiveResult } from './channel-adapter.ts';
import type { ChannelService } from './channel-service.ts';

/** Largest webhook body a platform may post (a Telegram update, a signed webhook with files). */
export const MAX_WEBHOOK_BYTES = 2 * 1024 * 1024;

/** The channels routes of the table (src/protocol/channel-api.ts), behind the operator auth. */
export function channelRoutes(service: ChannelService): Hono<GatewayEnv> {
  return routes()
    .json('channels.list', async () => ({ channels: await service.list() }))
    .json('channels.create', ({ body }) => service.create(body))
    .json('channels.get', ({ params }) => service.get(params.channelId))
    .json('channels.update', ({ params, body }) => service.update(params.channelId, body))
    .json('channels.delete', ({ params }) => service.remove(params.channelId))
    .json('channels.test', ({ params }) => service.test(params.channelId))
    .json('channels.senders', async ({ params, query }) => ({
      senders: await service.senders(params.channelId, query.status),
    }))
    .json('channels.deliveries', async ({ params, query }) => ({
      deliveries: await service.deliveries(params.channelId, query.limit),
    }))
    .json('channelSenders.approve', ({ body }) => service.decide(body, 'allowed'))
    .json('channelSenders.block', ({ body }) => service.decide(body, 'blocked')).app;
}

/**
 * `POST /channels/:channelId/webhook`: public, outside /api (no session, no idempotency store, no
 * JSON parse before the check): the raw body goes to the channel's adapter, which verifies the
 * platform's signature or secret token on the exact bytes before anything is read from them.
 */
export function channelWebhookRoute(
  receive: (channelId: string, headers: Headers, rawBody: string) => Promise<ReceiveResult['response']>,
): Hono<GatewayEnv> {
  return routes().answered('channels.webhook', async ({ params }, c) => {
    const channelId = params.channelId;
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) {
      return errorResponse(c, 'payload_too_large', `webhook body exceeds ${MAX_WEBHOOK_BYTES} bytes`, 413);
    }
    const rawBody = await c.req.text();
    if (Buffer.byteLength(rawBody) > MAX_WEBHOOK_BYTES) {
      return errorResponse(c, 'payload_too_large', `webhook body exceeds ${MAX_WEBHOOK_BYTES} bytes`, 413);
    }
    const response = await receive(channelId, c.req.raw.headers, rawBody);
    return c.json(response.body, response.status as 200);
  }).app;
}
