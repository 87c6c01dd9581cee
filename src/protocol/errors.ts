import { z } from 'zod';

/** Stable error codes: the same code on REST (`{error:{code,message}}`), on the WebSocket
 * (`error` message) and in CLI messages. Never a stack trace on the wire. */
export const ErrorCodeSchema = z.enum([
  'bad_request',
  'invalid_json',
  'validation_failed',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'task_finished',
  'viber_offline',
  'no_viber',
  'unknown_message',
  'idempotency_conflict',
  'rate_limited',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    retryable: z.boolean().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The message of an `{error:{code,message}}` body, else the body's text itself; at most `max` characters. */
export function errorBodyMessage(body: string, max = 300): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, max);
  } catch {
    // Not JSON: use the text.
  }
  return body.trim().slice(0, max);
}

/** WebSocket close codes the gateway uses, with the reason text carried beside them. */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  tooLarge: 1009,
  /** Application codes (4000-4999). */
  unauthorized: 4401,
  forbidden: 4403,
  replaced: 4409,
} as const;
