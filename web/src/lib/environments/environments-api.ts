import type {
  BindingLogsResponse,
  BindingView,
  CreateBindingBody,
  EnvironmentValidationResponse,
  EnvironmentView,
} from '#lib/protocol.ts';
import { api, newIdempotencyKey } from '../api/http.ts';

/** The environments REST API (docs/environments.md). */

const path = (id: string) => `/api/environments/${encodeURIComponent(id)}`;

export const listEnvironments = async (): Promise<EnvironmentView[]> =>
  (await api<{ environments: EnvironmentView[] }>('/api/environments')).environments;

export const getEnvironment = (id: string): Promise<EnvironmentView> => api<EnvironmentView>(path(id));

export const createEnvironment = (body: Record<string, unknown>, idempotencyKey: string): Promise<EnvironmentView> =>
  api<EnvironmentView>('/api/environments', { method: 'POST', body, idempotencyKey });

/** PUT: the shared client's method list predates it; the call is the same. */
export const updateEnvironment = (id: string, body: Record<string, unknown>): Promise<EnvironmentView> =>
  api<EnvironmentView>(path(id), { method: 'PUT' as 'POST', body });

export const validateEnvironment = (body: Record<string, unknown>): Promise<EnvironmentValidationResponse> =>
  api<EnvironmentValidationResponse>('/api/environments/validate', { method: 'POST', body });

export const mapEnvironment = (id: string, body: CreateBindingBody): Promise<BindingView> =>
  api<BindingView>(`${path(id)}/bindings`, { method: 'POST', body, idempotencyKey: newIdempotencyKey() });

export const bindingLogs = (id: string, bindingId: string, after: number): Promise<BindingLogsResponse> =>
  api<BindingLogsResponse>(`${path(id)}/bindings/${encodeURIComponent(bindingId)}/logs?after=${after}`);
