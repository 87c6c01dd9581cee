import type {
  CreateTaskBody,
  ErrorBody,
  InjectionMode,
  RegisterViberResponse,
  TaskDetailResponse,
  TaskMessageView,
  TaskView,
  ViberView,
} from '../../src/protocol/index.ts';

/**
 * A REST client for tests: `request` returns status and body whatever they are (for bad-input
 * tests); the typed helpers throw on anything but 2xx, quoting the gateway's error.
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

export class RestError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(method: string, path: string, response: RestResponse) {
    super(`${method} ${path} answered ${response.status}: ${response.text.slice(0, 500)}`);
    this.name = 'RestError';
    this.status = response.status;
    this.body = response.body;
  }
}

export class RestClient {
  readonly baseUrl: string;
  readonly token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: RestRequestOptions = {},
  ): Promise<RestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  private async ok<T>(method: string, path: string, options?: RestRequestOptions): Promise<T> {
    const response = await this.request<T>(method, path, options);
    if (response.status < 200 || response.status > 299) throw new RestError(method, path, response);
    return response.body;
  }

  registerViber(name: string): Promise<RegisterViberResponse> {
    return this.ok('POST', '/api/vibers', { body: { name } });
  }

  listVibers(): Promise<ViberView[]> {
    return this.ok<ViberView[] | { vibers: ViberView[] }>('GET', '/api/vibers').then(unwrapList('vibers'));
  }

  async getViber(id: string): Promise<ViberView | undefined> {
    return (await this.listVibers()).find((viber) => viber.id === id);
  }

  createTask(body: CreateTaskBody, headers?: Record<string, string>): Promise<TaskView> {
    return this.ok('POST', '/api/tasks', { body, headers });
  }

  listTasks(): Promise<TaskView[]> {
    return this.ok<TaskView[] | { tasks: TaskView[] }>('GET', '/api/tasks').then(unwrapList('tasks'));
  }

  getTask(id: string): Promise<TaskDetailResponse> {
    return this.ok('GET', `/api/tasks/${encodeURIComponent(id)}`);
  }

  stopTask(id: string): Promise<unknown> {
    return this.ok('POST', `/api/tasks/${encodeURIComponent(id)}/stop`);
  }

  sendMessage(id: string, message: string, injectionMode: InjectionMode): Promise<TaskMessageView> {
    return this.ok('POST', `/api/tasks/${encodeURIComponent(id)}/messages`, {
      body: { message, injectionMode },
    });
  }
}

/** Accepts a bare array or `{<key>: [...]}`, whichever the gateway chose. */
function unwrapList<T>(key: string): (body: T[] | Record<string, T[]>) => T[] {
  return (body) => (Array.isArray(body) ? body : (body[key] ?? []));
}

/** The `{error:{code,message}}` of a failed response, or undefined if it has none. */
export function errorOf(response: RestResponse): ErrorBody['error'] | undefined {
  const body = response.body as Partial<ErrorBody> | undefined;
  return body && typeof body === 'object' && body.error && typeof body.error === 'object'
    ? body.error
    : undefined;
}
