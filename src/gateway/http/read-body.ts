import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { OpenViberError } from '../../core/errors.ts';
import { describeZodError } from '../../protocol/index.ts';

export type BodyVariables = { bodyText: string };

const tooLarge = (maxBytes: number) =>
  new OpenViberError('payload_too_large', `request body exceeds ${maxBytes} bytes`, 413);

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
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => {});
          throw tooLarge(maxBytes);
        }
        chunks.push(value);
      }
    }
    c.set('bodyText', Buffer.concat(chunks).toString('utf8'));
    await next();
  };
}

/** The request body parsed as JSON and validated: errors name the field. */
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
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new OpenViberError('validation_failed', describeZodError(parsed.error), 400);
  return parsed.data;
}
