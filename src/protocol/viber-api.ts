import { z } from 'zod';
import { ViberConfigPullSchema } from './environment-rest.ts';
import { NameFilterSchema, NextCursorSchema, PageQuerySchema } from './pagination.ts';
import { RegisterViberBodySchema, RegisterViberResponseSchema, ViberViewSchema } from './rest.ts';
import type { RestRoute } from './rest-route.ts';
import { ViberPresenceSchema } from './viber-info.ts';

/** A viber's id in a path. */
export const ViberIdParamsSchema = z.strictObject({ id: z.string().min(1).max(200) });

/** `GET /api/vibers`: a page by name, filtered by presence and by a piece of the name. */
export const ViberListQuerySchema = PageQuerySchema.extend({
  presence: ViberPresenceSchema.optional(),
  q: NameFilterSchema.optional(),
});
export type ViberListQuery = z.infer<typeof ViberListQuerySchema>;

export const ViberListResponseSchema = z.object({
  vibers: z.array(ViberViewSchema),
  nextCursor: NextCursorSchema,
});
export type ViberListResponse = z.infer<typeof ViberListResponseSchema>;

/** `DELETE /api/vibers/:id`: the token stopped working and the live connection was cut. */
export const ViberRevokedResponseSchema = z.object({ id: z.string(), revokedAt: z.string() });
export type ViberRevokedResponse = z.infer<typeof ViberRevokedResponseSchema>;

/** `POST /api/vibers/:id/config-push`: sent; the daemon's `config:ack` becomes its configState. */
export const ConfigPushResponseSchema = z.object({ viberId: z.string(), requestedAt: z.string() });
export type ConfigPushResponse = z.infer<typeof ConfigPushResponseSchema>;

/** Registering, listing and revoking vibers; the config push and the viber's own config pull. */
export const VIBER_ROUTES = {
  'vibers.register': {
    kind: 'json',
    method: 'POST',
    path: '/api/vibers',
    scope: 'vibers.admin',
    // A retry with the same key gets the very token first issued (stored sealed), never a new one.
    summary: 'Registers a viber; its token is shown in this answer only.',
    body: RegisterViberBodySchema,
    responses: { 201: RegisterViberResponseSchema },
    idempotencyKey: true,
  },
  'vibers.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/vibers',
    scope: 'tasks.read',
    summary:
      'A page of the vibers not revoked, by name, with their presence (online, busy, offline); filtered by presence or name.',
    query: ViberListQuerySchema,
    responses: { 200: ViberListResponseSchema },
    idempotencyKey: false,
  },
  'vibers.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/vibers/:id',
    scope: 'tasks.read',
    summary: 'One viber: info, status, config validations, last heartbeat.',
    params: ViberIdParamsSchema,
    responses: { 200: ViberViewSchema },
    idempotencyKey: false,
  },
  'vibers.revoke': {
    kind: 'json',
    method: 'DELETE',
    path: '/api/vibers/:id',
    scope: 'vibers.admin',
    summary: 'Revokes the viber: its token stops working and its socket closes (409 when already revoked).',
    params: ViberIdParamsSchema,
    responses: { 200: ViberRevokedResponseSchema },
    idempotencyKey: false,
  },
  'vibers.configPush': {
    kind: 'json',
    method: 'POST',
    path: '/api/vibers/:id/config-push',
    scope: 'vibers.admin',
    summary: 'Asks the connected daemon to pull and validate its config (409 viber_offline otherwise).',
    params: ViberIdParamsSchema,
    responses: { 202: ConfigPushResponseSchema },
    idempotencyKey: true,
  },
  'vibers.configPull': {
    kind: 'json',
    method: 'GET',
    path: '/api/vibers/:id/config',
    scope: 'node',
    summary:
      "The viber's own environments and bindings, secret values included; its own token, never an operator's.",
    params: ViberIdParamsSchema,
    responses: { 200: ViberConfigPullSchema },
    idempotencyKey: false,
  },
} as const satisfies Record<string, RestRoute>;
