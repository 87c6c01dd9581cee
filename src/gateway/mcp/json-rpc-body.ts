import {
  ErrorCode,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { Context } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import { exceedsJsonDepth, LIMITS, type ErrorCode as OpenViberErrorCode } from '../../protocol/index.ts';
import { readBody } from '../http/read-body.ts';
import type { GatewayEnv } from '../http/route-context.ts';

/**
 * Every answer of /mcp that is not the MCP transport's own is a JSON-RPC error object, so an MCP
 * client reads it as it reads any other: the JSON-RPC code (-32700 parse error, -32600 invalid
 * request, -32000 for a refusal of the HTTP layer, as the SDK's transport uses it), a message, and
 * in `data.code` the gateway's own error code (docs/rest-api.md).
 */
/** The JSON-RPC code of a refusal by the HTTP layer (the first of the server-defined codes). */
export const HTTP_REFUSAL = -32000;

export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  options: { id?: RequestId | null; reason?: OpenViberErrorCode; headers?: Record<string, string> } = {},
): Response {
  const error = { code, message, ...(options.reason ? { data: { code: options.reason } } : {}) };
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: options.id ?? null, error }), {
    status,
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}

export type ReadMessages =
  | { ok: true; messages: JSONRPCMessage[]; body: unknown }
  | { ok: false; response: Response };

const NOT_A_MESSAGE =
  'Invalid Request: not a JSON-RPC 2.0 message (jsonrpc "2.0" with a method for a request or a notification, or an id with a result or an error for a response; an id is a string or an integer)';

/**
 * A POST body read as JSON-RPC messages, each failure answered precisely: over LIMITS.maxBodyBytes
 * is 413; text that is not JSON is -32700 (parse error); JSON nested deeper than
 * LIMITS.maxJsonDepth, an empty batch, or a value that is not a JSON-RPC message is -32600
 * (invalid request), with the message's id when it had a usable one. The SDK's transport gets the
 * parsed body, and checks the headers (Accept, Content-Type, MCP-Protocol-Version) itself.
 */
export async function readJsonRpcMessages(c: Context<GatewayEnv>): Promise<ReadMessages> {
  try {
    await readBody(LIMITS.maxBodyBytes)(c, async () => {});
  } catch (error) {
    if (!OpenViberError.isInstance(error) || error.code !== 'payload_too_large') throw error;
    return refuse(413, HTTP_REFUSAL, error.message, 'payload_too_large');
  }
  let body: unknown;
  try {
    body = JSON.parse(c.get('bodyText') ?? '');
  } catch (error) {
    return refuse(
      400,
      ErrorCode.ParseError,
      `Parse error: the body is not JSON (${(error as Error).message})`,
    );
  }
  if (exceedsJsonDepth(body, LIMITS.maxJsonDepth)) {
    const message = `Invalid Request: the body nests deeper than ${LIMITS.maxJsonDepth} levels, the limit`;
    return refuse(400, ErrorCode.InvalidRequest, message);
  }
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return refuse(400, ErrorCode.InvalidRequest, 'Invalid Request: an empty batch');
  const messages: JSONRPCMessage[] = [];
  for (const item of items) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success)
      return refuse(400, ErrorCode.InvalidRequest, NOT_A_MESSAGE, 'bad_request', idOf(item));
    messages.push(parsed.data);
  }
  return { ok: true, messages, body };
}

function refuse(
  status: number,
  code: number,
  message: string,
  reason: OpenViberErrorCode = 'bad_request',
  id: RequestId | null = null,
): ReadMessages {
  return { ok: false, response: jsonRpcError(status, code, message, { id, reason }) };
}

/** The id of a malformed message, when it carries one a response could name. */
function idOf(item: unknown): RequestId | null {
  if (typeof item !== 'object' || item === null || !('id' in item)) return null;
  const { id } = item;
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : null;
}
