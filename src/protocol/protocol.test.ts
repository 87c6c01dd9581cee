import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CreateTaskBodySchema,
  DaemonMessageSchema,
  DocumentCommandSchema,
  DocumentDaemonMessageSchema,
  decodeFrame,
  GatewayMessageSchema,
  LIMITS,
  TaskMessageBodySchema,
} from './index.ts';
import { buildProtocolJsonSchema, PROTOCOL_SCHEMA_PATH } from './json-schema.ts';

const decodeDaemon = (value: unknown) =>
  decodeFrame(DaemonMessageSchema, JSON.stringify(value), LIMITS.maxFrameBytes);

describe('decodeFrame', () => {
  it('accepts a valid stream chunk and keeps unknown chunk fields (loose UI chunks)', () => {
    const result = decodeDaemon({
      type: 'task:stream-chunk',
      taskId: 'task_1',
      seq: 4,
      chunk: { type: 'text-delta', id: 't', delta: 'hi', future: 1 },
    });
    expect(result).toEqual({
      ok: true,
      value: {
        type: 'task:stream-chunk',
        taskId: 'task_1',
        seq: 4,
        chunk: { type: 'text-delta', id: 't', delta: 'hi', future: 1 },
      },
    });
  });

  it('names the problem precisely', () => {
    expect(decodeFrame(DaemonMessageSchema, '{oops', 1000)).toEqual({
      ok: false,
      code: 'invalid_json',
      message: 'frame is not valid JSON',
    });
    expect(decodeDaemon({ hello: 1 })).toMatchObject({
      ok: false,
      code: 'unknown_message',
      message: 'frame has no string "type" field',
    });
    expect(decodeDaemon({ type: 'task:explode' })).toMatchObject({
      ok: false,
      code: 'unknown_message',
      message: 'unknown message type "task:explode"',
    });
    expect(
      decodeDaemon({ type: 'task:stream-chunk', taskId: 'task_1', seq: 0, chunk: { type: 'x' } }),
    ).toMatchObject({
      ok: false,
      code: 'validation_failed',
      message: expect.stringContaining('seq: Too small'),
    });
    expect(
      decodeFrame(DaemonMessageSchema, JSON.stringify({ type: 'pong', pad: 'x'.repeat(2000) }), 1000),
    ).toMatchObject({
      ok: false,
      code: 'payload_too_large',
    });
  });

  it("ignores fields a newer peer adds, both ways, and knows the protocol document's frames", () => {
    expect(decodeDaemon({ type: 'pong', extra: true })).toEqual({ ok: true, value: { type: 'pong' } });
    expect(
      decodeDaemon({ type: 'task:stream-chunk', taskId: 't', seq: 1, chunk: { type: 'x' }, traceId: 'z' }),
    ).toEqual({ ok: true, value: { type: 'task:stream-chunk', taskId: 't', seq: 1, chunk: { type: 'x' } } });
    expect(decodeDaemon({ type: 'terminal:done', requestId: 'r', extra: 1 })).toEqual({
      ok: true,
      value: { type: 'terminal:done', requestId: 'r' },
    });
    const decodeGateway = (value: unknown) =>
      decodeFrame(GatewayMessageSchema, JSON.stringify(value), LIMITS.maxFrameBytes);
    expect(decodeGateway({ type: 'task:stop', commandId: 'c', taskId: 't', priority: 'high' })).toEqual({
      ok: true,
      value: { type: 'task:stop', commandId: 'c', taskId: 't' },
    });
    // Without the seq extension: the document's frames, a raw SSE text chunk and no seq.
    const chunk = 'data: {"type":"text-delta","id":"t","delta":"hi"}\n\n';
    expect(
      decodeFrame(
        DocumentDaemonMessageSchema,
        JSON.stringify({ type: 'task:stream-chunk', taskId: 't', chunk, extra: 1 }),
        LIMITS.maxFrameBytes,
      ),
    ).toEqual({ ok: true, value: { type: 'task:stream-chunk', taskId: 't', chunk } });
    expect(
      decodeFrame(
        DocumentDaemonMessageSchema,
        JSON.stringify({ type: 'task:stream-chunk', taskId: 't', chunk: { type: 'text-delta' } }),
        1000,
      ),
    ).toMatchObject({ ok: false, code: 'validation_failed' });
    // A command in the document's shape drops what the document has not.
    expect(
      DocumentCommandSchema.parse({
        type: 'task:message',
        commandId: 'c',
        taskId: 't',
        messageId: 'm',
        message: 'go on',
        injectionMode: 'steer',
      }),
    ).toEqual({ type: 'task:message', taskId: 't', message: 'go on', injectionMode: 'steer' });
  });

  it("takes a heartbeat with the daemon's metrics, and one without them (older daemons)", () => {
    const status = { state: 'busy', runningTasks: 1, uptimeSeconds: 3 };
    const metrics = {
      modelCalls: 2,
      modelLatencySeconds: 0.5,
      inputTokens: 30,
      outputTokens: 7,
      toolCalls: 2,
      toolFailures: 1,
    };
    expect(decodeDaemon({ type: 'heartbeat', status, metrics })).toEqual({
      ok: true,
      value: { type: 'heartbeat', status, metrics },
    });
    expect(decodeDaemon({ type: 'heartbeat', status })).toEqual({
      ok: true,
      value: { type: 'heartbeat', status },
    });
    expect(
      decodeFrame(DocumentDaemonMessageSchema, JSON.stringify({ type: 'heartbeat', status }), 10_000).ok,
    ).toBe(true);
    const refused = decodeDaemon({ type: 'heartbeat', status, metrics: { ...metrics, toolCalls: -1 } });
    expect(refused.ok).toBe(false);
  });

  it('validates gateway commands, including task options', () => {
    const bad = decodeFrame(
      GatewayMessageSchema,
      JSON.stringify({
        type: 'task:submit',
        commandId: 'c',
        taskId: 't',
        goal: 'g',
        options: { mode: 'yolo' },
      }),
      LIMITS.maxFrameBytes,
    );
    expect(bad).toMatchObject({
      ok: false,
      code: 'validation_failed',
      message: expect.stringContaining('options.mode'),
    });
  });
});

describe('REST bodies', () => {
  it('defaults the injection mode to followup and trims the message', () => {
    expect(TaskMessageBodySchema.parse({ message: '  go on ' })).toEqual({
      message: 'go on',
      injectionMode: 'followup',
    });
  });

  it('rejects unknown fields and bad model references', () => {
    expect(CreateTaskBodySchema.safeParse({ goal: 'x', surprise: 1 }).success).toBe(false);
    expect(CreateTaskBodySchema.safeParse({ goal: 'x', options: { model: 'gpt-4' } }).success).toBe(false);
    expect(
      CreateTaskBodySchema.safeParse({ goal: 'x', options: { model: 'custom/llama3.1:8b' } }).success,
    ).toBe(true);
  });
});

describe('JSON Schema', () => {
  it('is committed and matches the zod source (run `npm run schema` after changing src/protocol)', () => {
    const committed = JSON.parse(readFileSync(PROTOCOL_SCHEMA_PATH, 'utf8'));
    expect(committed).toEqual(buildProtocolJsonSchema());
  });
});
