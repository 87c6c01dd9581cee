import type { RouteInput } from '#lib/client.ts';
import type {
  BindingLogsResponse,
  BindingView,
  EnvironmentListResponse,
  EnvironmentValidationResponse,
  EnvironmentView,
} from '#lib/protocol.ts';
import { gateway, newIdempotencyKey } from './gateway.ts';

/** Environments (`environments.*` in src/protocol/environment-api.ts; docs/environments.md). */

export type CreateEnvironmentInput = RouteInput<'environments.create'>['body'];
export type UpdateEnvironmentInput = RouteInput<'environments.update'>['body'];
export type MapEnvironmentInput = RouteInput<'environments.bindings.create'>['body'];

export type EnvironmentListQuery = NonNullable<RouteInput<'environments.list'>['query']>;

/** A page of environments by name: `nextCursor` reads the next one (null: none). */
export function listEnvironments(query: EnvironmentListQuery = {}): Promise<EnvironmentListResponse> {
  return gateway.call('environments.list', { query });
}

export function getEnvironment(id: string): Promise<EnvironmentView> {
  return gateway.call('environments.get', { params: { id } });
}

export function createEnvironment(body: CreateEnvironmentInput, idempotencyKey: string): Promise<EnvironmentView> {
  return gateway.call('environments.create', { body, idempotencyKey });
}

export function updateEnvironment(id: string, body: UpdateEnvironmentInput): Promise<EnvironmentView> {
  return gateway.call('environments.update', { params: { id }, body });
}

/** The form's dry run: nothing is stored. */
export function validateEnvironment(body: CreateEnvironmentInput): Promise<EnvironmentValidationResponse> {
  return gateway.call('environments.validate', { body });
}

export function mapEnvironment(id: string, body: MapEnvironmentInput): Promise<BindingView> {
  return gateway.call('environments.bindings.create', { params: { id }, body, idempotencyKey: newIdempotencyKey() });
}

/** A page of a binding's preparation log: the lines after `after`. */
export function bindingLogs(id: string, bindingId: string, after: number): Promise<BindingLogsResponse> {
  return gateway.call('environments.bindings.logs', { params: { id, bindingId }, query: { after } });
}
