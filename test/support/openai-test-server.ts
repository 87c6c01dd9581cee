import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ChatRequestBody,
  completionOf,
  deltaOf,
  type ErrorTurn,
  piecesOf,
  type ScriptTurn,
  type TextTurn,
  type ToolCallsTurn,
  usageFor,
} from './openai-script.ts';

export * from './openai-script.ts';

/**
 * A small, real OpenAI-compatible HTTP server for tests: POST /v1/chat/completions (streaming SSE
 * and whole responses) and GET /v1/models on 127.0.0.1. It answers from a script and records every
 * request, so the real provider code path runs end to end with no network.
 */

export interface RecordedRequest {
  /** 0-based order of arrival over all chat completion requests. */
  index: number;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body (chat completion requests only). */
  body: ChatRequestBody;
}

/** Either turns served in order, or a function that picks the answer for each request. */
export type Script = ScriptTurn[] | ((request: RecordedRequest) => ScriptTurn | undefined);

export interface OpenAITestServerOptions {
  script?: Script;
  /** Model ids listed by GET /v1/models. */
  models?: string[];
}

export interface OpenAITestServer {
  /** `http://127.0.0.1:<port>/v1`: the base URL providers take. */
  baseURL: string;
  /** Every chat completion request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Adds turns to the end of an array script. */
  push(...turns: ScriptTurn[]): void;
  /** Resolves once at least `count` chat completion requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Number of streamed responses still open. */
  readonly openStreams: number;
  close(): Promise<void>;
}

export async function startOpenAITestServer(
  options: OpenAITestServerOptions = {},
): Promise<OpenAITestServer> {
  const queue: ScriptTurn[] = Array.isArray(options.script) ? [...options.script] : [];
  const pick = typeof options.script === 'function' ? options.script : () => queue.shift();
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const open = new Set<ServerResponse>();
  const models = options.models ?? ['test-model'];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, { type: 'error', status: 500, message: String(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'openai-test-server' })),
      });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(res, {
        type: 'error',
        status: 404,
        message: `no route ${req.method} ${path}`,
        code: 'not_found',
      });
      return;
    }
    const body = parseBody(await readBody(req));
    if (typeof body === 'string') {
      sendError(res, { type: 'error', status: 400, message: body, code: 'invalid_request' });
      return;
    }
    const recorded: RecordedRequest = {
      index: requests.length,
      method: req.method,
      path,
      headers: req.headers,
      body,
    };
    requests.push(recorded);
    for (const wake of waiters) wake();
    const turn = pick(recorded) ?? {
      type: 'error',
      status: 500,
      message: `openai-test-server: script has no turn for request ${recorded.index}`,
      code: 'script_exhausted',
    };
    if (turn.type === 'error') sendError(res, turn);
    else if (body.stream) await stream(res, turn, recorded);
    else sendJson(res, 200, completionOf(turn, body, recorded.index, meta(recorded.index)));
  }

  async function stream(
    res: ServerResponse,
    turn: TextTurn | ToolCallsTurn,
    request: RecordedRequest,
  ): Promise<void> {
    open.add(res);
    const closed = new Promise<'closed'>((resolve) => res.once('close', () => resolve('closed')));
    res.on('close', () => open.delete(res));
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const { id, created } = meta(request.index);
    const write = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.body.model, choices, ...extra })}\n\n`,
      );
    write([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    const pieces = piecesOf(turn, request.index);
    for (const [index, piece] of pieces.entries()) {
      const hold = Promise.all([
        turn.beforeChunk?.(index),
        turn.chunkDelayMs ? new Promise((resolve) => setTimeout(resolve, turn.chunkDelayMs)) : undefined,
      ]);
      if ((await Promise.race([hold, closed])) === 'closed' || res.destroyed) return;
      write([{ index: 0, delta: deltaOf(piece), finish_reason: null }]);
    }
    const finishReason = turn.type === 'tool-calls' ? 'tool_calls' : (turn.finishReason ?? 'stop');
    write([{ index: 0, delta: {}, finish_reason: finishReason }]);
    if (request.body.stream_options?.include_usage) {
      const completion = pieces.map((piece) => ('delta' in piece ? piece.delta : '')).join('');
      write([], { usage: usageFor(request.body, completion, turn.usage) });
    }
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get openStreams() {
      return open.size;
    },
    push(...turns) {
      queue.push(...turns);
    },
    waitForRequests(count, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`openai-test-server: ${requests.length} of ${count} requests after ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function meta(index: number): { id: string; created: number } {
  return { id: `chatcmpl-test-${index}`, created: 1_700_000_000 + index };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** The parsed request, or the reason it is not a chat completion request. */
function parseBody(text: string): ChatRequestBody | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'request body is not valid JSON';
  }
  if (typeof data !== 'object' || data === null) return 'request body must be a JSON object';
  const body = data as Partial<ChatRequestBody>;
  if (typeof body.model !== 'string') return '"model" is required';
  if (!Array.isArray(body.messages)) return '"messages" must be an array';
  return body as ChatRequestBody;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, turn: ErrorTurn): void {
  sendJson(res, turn.status, {
    error: {
      message: turn.message,
      type: turn.status >= 500 ? 'server_error' : 'invalid_request_error',
      code: turn.code ?? null,
    },
  });
}
