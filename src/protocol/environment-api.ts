import { z } from 'zod';
import {
  BindingLogsResponseSchema,
  BindingViewSchema,
  CreateBindingBodySchema,
  CreateEnvironmentBodySchema,
  EnvironmentValidationResponseSchema,
  EnvironmentViewSchema,
  UpdateEnvironmentBodySchema,
} from './environment-rest.ts';
import { NameFilterSchema, NextCursorSchema, PageQuerySchema } from './pagination.ts';
import type { RestRoute, ScopeCondition } from './rest-route.ts';

/** An environment's id, or its name: the gateway looks up either. */
export const EnvironmentParamsSchema = z.strictObject({ id: z.string().min(1).max(200) });
export const BindingParamsSchema = z.strictObject({
  id: z.string().min(1).max(200),
  bindingId: z.string().min(1).max(200),
});

/** A page of a binding's preparation log: lines after `after`, at most `limit` (default 500). */
export const BindingLogsQuerySchema = z.object({
  after: z.coerce.number<number>().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number<number>().int().min(0).max(2000).optional(),
});

/** `GET /api/environments`: a page by name, filtered by a piece of the name. */
export const EnvironmentListQuerySchema = PageQuerySchema.extend({ q: NameFilterSchema.optional() });
export type EnvironmentListQuery = z.infer<typeof EnvironmentListQuerySchema>;

export const EnvironmentListResponseSchema = z.object({
  environments: z.array(EnvironmentViewSchema),
  nextCursor: NextCursorSchema,
});
export type EnvironmentListResponse = z.infer<typeof EnvironmentListResponseSchema>;

export const EnvironmentDeletedResponseSchema = z.object({ id: z.string(), deletedAt: z.string() });
export type EnvironmentDeletedResponse = z.infer<typeof EnvironmentDeletedResponseSchema>;

export const BindingListResponseSchema = z.object({ bindings: z.array(BindingViewSchema) });
export type BindingListResponse = z.infer<typeof BindingListResponseSchema>;

/** Setting or deleting a secret value needs its own scope beside environments.write. */
const writesSecrets: ScopeCondition = {
  scope: 'secrets.write',
  when: 'the body sets or deletes secrets',
  applies: ({ body }) => {
    const secrets = typeof body === 'object' && body !== null ? Reflect.get(body, 'secrets') : undefined;
    return typeof secrets === 'object' && secrets !== null && Object.keys(secrets).length > 0;
  },
};

/** Environments (environments document, section 6.1): CRUD, dry run, bindings and their logs. */
export const ENVIRONMENT_ROUTES = {
  'environments.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/environments',
    scope: 'tasks.read',
    summary: 'A page of environments by name, with their bindings and status pill; secrets by name only.',
    query: EnvironmentListQuerySchema,
    responses: { 200: EnvironmentListResponseSchema },
    idempotencyKey: false,
  },
  'environments.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/environments',
    scope: 'environments.write',
    alsoNeeds: [writesSecrets],
    summary: 'Creates an environment; secret values are stored encrypted and never shown again.',
    body: CreateEnvironmentBodySchema,
    responses: { 201: EnvironmentViewSchema },
    idempotencyKey: true,
  },
  'environments.validate': {
    kind: 'json',
    method: 'POST',
    path: '/api/environments/validate',
    scope: 'environments.write',
    summary: "The form's dry run: fields, the setup script's syntax, the repository; nothing stored.",
    body: CreateEnvironmentBodySchema,
    responses: { 200: EnvironmentValidationResponseSchema },
    idempotencyKey: true,
  },
  'environments.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/environments/:id',
    scope: 'tasks.read',
    summary: 'One environment, by id or name.',
    params: EnvironmentParamsSchema,
    responses: { 200: EnvironmentViewSchema },
    idempotencyKey: false,
  },
  'environments.update': {
    kind: 'json',
    method: 'PUT',
    path: '/api/environments/:id',
    scope: 'environments.write',
    alsoNeeds: [writesSecrets],
    summary: 'Replaces the fields given (null clears one); `secrets` is a patch. Ready bindings go stale.',
    params: EnvironmentParamsSchema,
    body: UpdateEnvironmentBodySchema,
    responses: { 200: EnvironmentViewSchema },
    idempotencyKey: false,
  },
  'environments.delete': {
    kind: 'json',
    method: 'DELETE',
    path: '/api/environments/:id',
    scope: 'environments.write',
    summary: 'Deletes an environment (409 while it has unfinished tasks).',
    params: EnvironmentParamsSchema,
    responses: { 200: EnvironmentDeletedResponseSchema },
    idempotencyKey: false,
  },
  'environments.bindings.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/environments/:id/bindings',
    scope: 'tasks.read',
    summary: "The environment's bindings: which vibers it is mapped to, and their state.",
    params: EnvironmentParamsSchema,
    responses: { 200: BindingListResponseSchema },
    idempotencyKey: false,
  },
  'environments.bindings.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/environments/:id/bindings',
    scope: 'environments.write',
    summary: 'Maps the environment to a viber (or maps it again) and queues its preparation.',
    params: EnvironmentParamsSchema,
    body: CreateBindingBodySchema,
    responses: { 202: BindingViewSchema },
    idempotencyKey: true,
  },
  'environments.bindings.prepare': {
    kind: 'json',
    method: 'POST',
    path: '/api/environments/:id/bindings/:bindingId/prepare',
    scope: 'environments.write',
    summary: 'Prepares a binding again (after an error, or to pick up changes on the remote).',
    params: BindingParamsSchema,
    responses: { 202: BindingViewSchema },
    idempotencyKey: true,
  },
  'environments.bindings.logs': {
    kind: 'json',
    method: 'GET',
    path: '/api/environments/:id/bindings/:bindingId/logs',
    scope: 'tasks.read',
    summary: "A page of the binding's preparation log, redacted of every secret value.",
    params: BindingParamsSchema,
    query: BindingLogsQuerySchema,
    responses: { 200: BindingLogsResponseSchema },
    idempotencyKey: false,
  },
} as const satisfies Record<string, RestRoute>;
