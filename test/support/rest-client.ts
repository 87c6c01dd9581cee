import {
  createGatewayClient,
  type GatewayClient,
  GatewayClientError,
  readAllPages,
} from '../../src/client/index.ts';
import {
  type CreateTaskBody,
  type ErrorBody,
  type InjectionMode,
  PAGE_LIMITS,
  type RegisterViberResponse,
  type TaskDetailResponse,
  type TaskMessageView,
  type TaskView,
  type ViberView,
} from '../../src/protocol/index.ts';

/**
 * REST for tests, two ways. The named calls go through the typed client (`createGatewayClient`),
 * so every answer is checked against the route table and a refusal throws a GatewayClientError.
 * `request` sends what a test writes, however wrong, and returns whatever comes back: the
 * bad-input tests need both ends unchecked.
 */

export interface RestResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: T;
  text: string;
}

export interface RestRequestOptions {
  body?: unknown;
  /** Sent as is, not JSON-encoded (for malformed bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Overrides the client's token; null sends no Authorization header. */
  token?: string | null;
}

/** One unchecked request: the bearer token, a JSON body, and the answer as it came. */
export async function rawRequest<T = unknown>(
  url: string,
  method: string,
  options: RestRequestOptions & { token: string | null },
): Promise<RestResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export class RestClient {
  readonly baseUrl: string;
  readonly token: string;
  /** The typed client, for any route the named calls below do not cover. */
  readonly client: GatewayClient;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
    this.client = createGatewayClient({ baseUrl: this.baseUrl, token });
  }

  request<T = unknown>(
    method: string,
    path: string,
    options: RestRequestOptions = {},
  ): Promise<RestResponse<T>> {
    const token = options.token === undefined ? this.token : options.token;
    return rawRequest<T>(`${this.baseUrl}${path}`, method, { ...options, token });
  }

  registerViber(name: string): Promise<RegisterViberResponse> {
    return this.client.call('vibers.register', { body: { name } });
  }

  /** Every viber, page after page. */
  listVibers(): Promise<ViberView[]> {
    return readAllPages(
      (cursor) => this.client.call('vibers.list', { query: { limit: PAGE_LIMITS.max, cursor } }),
      (page) => page.vibers,
    );
  }

  /** The viber, or undefined once the gateway does not know it (never registered, or revoked). */
  async getViber(id: string): Promise<ViberView | undefined> {
    try {
      return await this.client.call('vibers.get', { params: { id } });
    } catch (error) {
      if (GatewayClientError.isInstance(error) && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  createTask(body: CreateTaskBody, headers?: Record<string, string>): Promise<TaskView> {
    return this.client.call('tasks.create', { body, ...(headers ? { headers } : {}) });
  }

  /** Every task, newest first, page after page. */
  listTasks(): Promise<TaskView[]> {
    return readAllPages(
      (cursor) => this.client.call('tasks.list', { query: { limit: PAGE_LIMITS.max, cursor } }),
      (page) => page.tasks,
    );
  }

  getTask(id: string): Promise<TaskDetailResponse> {
    return this.client.call('tasks.get', { params: { id } });
  }

  stopTask(id: string): Promise<TaskView> {
    return this.client.call('tasks.stop', { params: { id } });
  }

  sendMessage(id: string, message: string, injectionMode: InjectionMode): Promise<TaskMessageView> {
    return this.client.call('tasks.message', { params: { id }, body: { message, injectionMode } });
  }
}

/** The `{error:{code,message}}` of a failed response, or undefined if it has none. */
export function errorOf(response: RestResponse): ErrorBody['error'] | undefined {
  const body = response.body as Partial<ErrorBody> | undefined;
  return body && typeof body === 'object' && body.error && typeof body.error === 'object'
    ? body.error
    : undefined;
}
