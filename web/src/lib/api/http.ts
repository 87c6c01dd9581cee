import type { ErrorBody } from '#lib/protocol.ts';
import { session } from '../state/session.svelte.ts';

/** A failed API call, with the gateway's stable error code and a message that says what to do. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** The gateway did not answer at all (down, restarting, network gone). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  /** Makes a retried POST safe: the gateway answers a repeat with the first response. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export const UNREACHABLE_MESSAGE =
  'The gateway is not answering. Check that `viber up` (or `viber gateway`) is still running; the board reconnects by itself.';

/**
 * Calls the gateway's REST API with the session cookie (same origin). A 401 marks the session
 * expired, so the layout can offer to sign in again; errors keep the gateway's own message.
 */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'unreachable', UNREACHABLE_MESSAGE);
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const error = (parsed as ErrorBody | undefined)?.error;
  if (response.status === 401) session.expired(error?.message);
  if (response.status >= 502 && !error) throw new ApiError(0, 'unreachable', UNREACHABLE_MESSAGE);
  throw new ApiError(
    response.status,
    error?.code ?? 'internal',
    error?.message ?? `the gateway answered HTTP ${response.status}`,
  );
}

/** A fresh key per user action, so a retried click never creates a second task. */
export function newIdempotencyKey(): string {
  return `board-${crypto.randomUUID()}`;
}
