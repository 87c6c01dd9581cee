import { z } from 'zod';
import { BoardEventSchema } from './board-events.ts';
import { ErrorBodySchema } from './errors.ts';

/**
 * The operator WebSocket, `/api/ws` (architecture document, section 7): one typed socket for the
 * board, the CLI and automation. After the connect handshake (device.ts) the client sends `req`
 * frames naming a JSON route of the route table; each is answered by one `res` with the same id,
 * under the same scopes and validation as the REST call. Side-effecting requests may carry an
 * `idempotencyKey`, as REST's `Idempotency-Key`.
 *
 * Events are push-only: every `event` frame carries `seq`, counting from 1 on each connection and
 * only over frames actually sent. A client that sees a gap (or reconnects) refetches its state;
 * nothing is replayed. The gateway pings every socket and closes one that stops answering.
 */

export const OperatorRequestSchema = z.object({
  type: z.literal('req'),
  /** Chosen by the client, echoed in the answer. */
  id: z.string().min(1).max(100),
  /** A JSON route's name: `tasks.list`, `tasks.create`, ... */
  method: z.string().min(1).max(100),
  params: z.record(z.string(), z.unknown()).optional(),
  query: z.record(z.string(), z.unknown()).optional(),
  body: z.unknown().optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export type OperatorRequest = z.infer<typeof OperatorRequestSchema>;

export const OperatorResponseSchema = z.discriminatedUnion('ok', [
  z.object({
    type: z.literal('res'),
    id: z.string(),
    ok: z.literal(true),
    status: z.number().int(),
    data: z.unknown(),
  }),
  z.object({
    type: z.literal('res'),
    id: z.string(),
    ok: z.literal(false),
    status: z.number().int(),
    error: ErrorBodySchema.shape.error,
  }),
]);
export type OperatorResponse = z.infer<typeof OperatorResponseSchema>;

export const OperatorEventFrameSchema = z.object({
  type: z.literal('event'),
  seq: z.number().int().min(1),
  event: BoardEventSchema,
});
export type OperatorEventFrame = z.infer<typeof OperatorEventFrameSchema>;

export const OperatorServerMessageSchema = z.union([OperatorResponseSchema, OperatorEventFrameSchema]);
export type OperatorServerMessage = z.infer<typeof OperatorServerMessageSchema>;
