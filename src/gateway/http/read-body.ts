import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { OpenViberError } from '../../core/errors.ts';
import { describeZodError, exceedsJsonDepth, LIMITS } from '../../protocol/index.ts';

export type BodyVariables = { bodyText: string };

const tooLarge = (maxBytes: number) =>
  new OpenViberError('payload_too_large', `request body exceeds ${maxBytes} bytes`, 413);

/**
 * The client went away before its request body was complete: its own doing, not a gateway fault,
 * so the error handler logs one info line for it instead of an error with a stack.
 */
export class ClientDisconnectedError extends OpenViberError {
  readonly receivedBytes: number;

  constructor(receivedBytes: number) {
    super('bad_request', 'the client closed the connection before the request body was complete', 400);
    this.receivedBytes = receivedBytes;
  }
}

/**
 * True for a request body that failed because the client disconnected: ours, or Node's own
 * `aborted` (ECONNRESET) from a route that reads the body itself.
 */
export function isClientDisconnect(error: unknown): boolean {
  if (error instanceof ClientDisconnectedError) return true;
  return (
    error instanceof Error &&
    error.message === 'aborted' &&
    (error as NodeJS.ErrnoException).code === 'ECONNRESET'
  );
}

/**
 * Reads a POST body as text, at most `maxBytes` (checked on Content-Length first, then while
 * reading), and keeps it for the idempotency check and the route.
 */
export function readBody(maxBytes: number): MiddlewareHandler<{ Variables: BodyVariables }> {
  return async function readBodyMiddleware(c, next) {
    if (c.req.method !== 'POST') return next();
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
    const body = c.req.raw.body;
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (body) {
      const reader = body.getReader();
      for (;;) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch {
          // The request stream only fails when the connection does.
          throw new ClientDisconnectedError(total);
        }
        if (read.done) break;
        total += read.value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => {});
          throw tooLarge(maxBytes);
        }
        chunks.push(read.value);
      }
    }
    c.set('bodyText', Buffer.concat(chunks).toString('utf8'));
    await next();
  };
}

/**
 * The request body parsed as JSON and validated: errors name the field. Nesting is bounded
 * (LIMITS.maxJsonDepth) before zod sees the value: no body needs more, and a deep one would make
 * every recursive step after JSON.parse (validation, storing it, logging it) a stack risk.
 */
export function parseBody<S extends z.ZodType>(
  c: Context<{ Variables: BodyVariables }>,
  schema: S,
): z.output<S> {
  const text = c.get('bodyText') ?? '';
  if (!text.trim())
    throw new OpenViberError('invalid_json', 'request body is empty: expected a JSON object', 400);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new OpenViberError(
      'invalid_json',
      `request body is not valid JSON: ${(error as Error).message}`,
      400,
    );
  }
  if (exceedsJsonDepth(data, LIMITS.maxJsonDepth)) {
    throw new OpenViberError(
      'validation_failed',
      `request body nests deeper than ${LIMITS.maxJsonDepth} levels, the limit`,
      400,
    );
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new OpenViberError('validation_failed', describeZodError(parsed.error), 400);
  return parsed.data;
}
