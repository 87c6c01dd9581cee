/**
 * What the OpenAI-compatible test server answers: scripted turns, and the OpenAI chat completion
 * shapes built from them (streamed chunks and whole responses), as real servers send them.
 */

export interface TokenCounts {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

interface StreamedTurn {
  /** Pause before each streamed piece (ms); lets a test kill a process mid-stream. */
  chunkDelayMs?: number;
  /**
   * Called before piece `index` (0-based) is written; the server waits for it. A test holds the
   * stream here (a gate) to act at an exact point. Released early when the client disconnects.
   */
  beforeChunk?: (index: number) => void | Promise<void>;
  usage?: Partial<TokenCounts>;
}

/** An assistant text answer. A string is streamed word by word; an array is streamed as given. */
export interface TextTurn extends StreamedTurn {
  type: 'text';
  text: string | string[];
  finishReason?: 'stop' | 'length';
}

export interface ScriptedToolCall {
  /** Defaults to `call_<request>_<index>`. */
  id?: string;
  name: string;
  /** The tool input; sent as JSON arguments split into several pieces. */
  input: unknown;
}

/** The model asks for one or more tool calls (finish reason `tool_calls`). */
export interface ToolCallsTurn extends StreamedTurn {
  type: 'tool-calls';
  calls: ScriptedToolCall[];
  /** Optional text streamed before the calls. */
  text?: string;
}

/** The endpoint fails with this HTTP status and an OpenAI-style `{error:{message,type,code}}`. */
export interface ErrorTurn {
  type: 'error';
  status: number;
  message: string;
  code?: string;
}

export type ScriptTurn = TextTurn | ToolCallsTurn | ErrorTurn;

/** One message of an OpenAI chat request, as the provider sends it. */
export interface ChatRequestMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | Array<{ type: string; text?: string }> | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface ChatRequestBody {
  model: string;
  messages: ChatRequestMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  [key: string]: unknown;
}

/** Splits text into word-sized deltas that join back to the same text. */
export function splitIntoDeltas(text: string): string[] {
  const pieces: string[] = text.match(/\s*\S+\s*?/g) ?? [];
  const joined = pieces.join('');
  if (joined.length < text.length) pieces.push(text.slice(joined.length));
  return pieces.length > 0 ? pieces : [text];
}

/** Splits a JSON argument string into up to three pieces, as real servers stream them. */
export function splitArguments(json: string): string[] {
  if (json.length < 3) return [json];
  const third = Math.ceil(json.length / 3);
  return [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)];
}

export function textOf(content: ChatRequestMessage['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('');
}

/** A rough token count (4 characters a token) so usage figures are plausible and deterministic. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function usageFor(
  body: ChatRequestBody,
  completion: string,
  override?: Partial<TokenCounts>,
): TokenCounts {
  const prompt = override?.prompt_tokens ?? estimateTokens(JSON.stringify(body.messages));
  const completionTokens = override?.completion_tokens ?? estimateTokens(completion);
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: override?.total_tokens ?? prompt + completionTokens,
  };
}

/** One piece of a streamed turn: a text delta or a tool call delta. */
export type StreamPiece =
  | { kind: 'text'; delta: string }
  | { kind: 'tool-start'; index: number; id: string; name: string }
  | { kind: 'tool-arguments'; index: number; delta: string };

export function piecesOf(turn: TextTurn | ToolCallsTurn, requestIndex: number): StreamPiece[] {
  if (turn.type === 'text') {
    const deltas = Array.isArray(turn.text) ? turn.text : splitIntoDeltas(turn.text);
    return deltas.map((delta) => ({ kind: 'text', delta }));
  }
  const pieces: StreamPiece[] = turn.text
    ? splitIntoDeltas(turn.text).map((delta) => ({ kind: 'text', delta }))
    : [];
  turn.calls.forEach((call, index) => {
    const id = call.id ?? `call_${requestIndex}_${index}`;
    pieces.push({ kind: 'tool-start', index, id, name: call.name });
    for (const delta of splitArguments(JSON.stringify(call.input ?? {}))) {
      pieces.push({ kind: 'tool-arguments', index, delta });
    }
  });
  return pieces;
}

export function deltaOf(piece: StreamPiece): Record<string, unknown> {
  switch (piece.kind) {
    case 'text':
      return { content: piece.delta };
    case 'tool-start':
      return {
        tool_calls: [
          {
            index: piece.index,
            id: piece.id,
            type: 'function',
            function: { name: piece.name, arguments: '' },
          },
        ],
      };
    case 'tool-arguments':
      return { tool_calls: [{ index: piece.index, function: { arguments: piece.delta } }] };
  }
}

/** The whole `chat.completion` object for a non-streaming request. */
export function completionOf(
  turn: TextTurn | ToolCallsTurn,
  body: ChatRequestBody,
  requestIndex: number,
  meta: { id: string; created: number },
): Record<string, unknown> {
  const pieces = piecesOf(turn, requestIndex);
  const content = pieces.map((piece) => (piece.kind === 'text' ? piece.delta : '')).join('');
  const toolCalls =
    turn.type === 'tool-calls'
      ? turn.calls.map((call, index) => ({
          id: call.id ?? `call_${requestIndex}_${index}`,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
        }))
      : undefined;
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: body.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: content || null,
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: turn.type === 'tool-calls' ? 'tool_calls' : (turn.finishReason ?? 'stop'),
      },
    ],
    usage: usageFor(body, content + JSON.stringify(toolCalls ?? ''), turn.usage),
  };
}
