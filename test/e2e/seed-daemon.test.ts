import {
  parseJsonEventStream,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from 'ai';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { checkStrictlyIncreasing } from '../support/e2e-fixtures.ts';
import {
  SEED_REPLY_TEXT,
  SeedDaemon,
  type SeedDaemonOptions,
  seedReplyChunks,
} from '../support/seed-daemon.ts';
import { type GatewayHandle, spawnGateway } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 11, item 7: a daemon that speaks the protocol document's frames exactly (section 3: the
// header upgrade, task:stream-chunk carrying raw AI SDK SSE text, no seq, no acknowledgements, no
// commandId) runs tasks on a real gateway process, and the AI SDK's own client reads the result.

useE2eCleanup();

type ParseResult<T> = { success: true; value: T } | { success: false; error: unknown };

/** GET /api/tasks/:id/stream, read by the AI SDK's client-side parsing and reassembly. */
async function readWithAiSdk(gateway: GatewayHandle, taskId: string) {
  const response = await fetch(`${gateway.url}/api/tasks/${taskId}/stream`, {
    headers: { authorization: `Bearer ${gateway.operatorToken}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
  const [forSdk, forIds] = response.body!.tee();
  const chunks: UIMessageChunk[] = [];
  const stream = parseJsonEventStream({ stream: forSdk, schema: uiMessageChunkSchema }).pipeThrough(
    new TransformStream<ParseResult<UIMessageChunk>, UIMessageChunk>({
      transform(result, controller) {
        if (!result.success) throw result.error;
        chunks.push(result.value);
        controller.enqueue(result.value);
      },
    }),
  );
  const idsRead = new Response(forIds).text();
  let message: UIMessage | undefined;
  for await (const snapshot of readUIMessageStream({ stream })) message = snapshot;
  const ids = [...(await idsRead).matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
  return { message, chunks, ids };
}

const textOf = (message: UIMessage | undefined) =>
  message?.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

describe('a daemon written from the protocol document alone', () => {
  it('runs tasks through a real gateway: SSE text parsed and numbered, each command sent once', async () => {
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('seed');
    const options: SeedDaemonOptions = {
      viberId: viber.id,
      token: viber.token,
      heartbeatMs: 100,
      // A newer daemon's fields on every frame it sends: ignored, not refused.
      extraFields: { traceId: 'trace-1', capabilitiesV2: { streaming: true } },
    };
    const first = await SeedDaemon.connect(gateway.wsUrl, { ...options, onSubmit: () => undefined });
    await waitFor(async () => (await gateway.rest.getViber(viber.id))?.lastHeartbeatAt, {
      description: 'a heartbeat stored',
    });
    expect((await gateway.rest.getViber(viber.id))?.presence).toBe('online');

    const task = await gateway.rest.createTask({ goal: 'Say hello.', viberId: viber.id });
    // The document's task:submit: no commandId.
    expect(await first.waitFor((frame) => frame.type === 'task:submit')).toEqual({
      type: 'task:submit',
      taskId: task.id,
      goal: 'Say hello.',
    });
    const [several, ...rest] = seedReplyChunks('msg-seed');
    first.send({ type: 'task:started', taskId: task.id, spaceId: 'space-1' });
    first.streamChunk(task.id, several!);
    // started, then three events out of one chunk, each numbered by the gateway.
    await waitFor(async () => (await gateway.rest.getTask(task.id)).task.lastSeq === 4, {
      description: 'the first four events stored',
    });

    // The daemon reconnects mid-task: it is not sent the task again, and its events go on.
    await first.close();
    const second = await SeedDaemon.connect(gateway.wsUrl, { ...options, runningTasks: [task.id] });
    await second.waitFor((frame) => frame.type === 'welcome');
    for (const chunk of rest) second.streamChunk(task.id, chunk);
    second.send({ type: 'task:completed', taskId: task.id, result: { text: SEED_REPLY_TEXT } });
    await waitFor(async () => (await gateway.rest.getTask(task.id)).task.status === 'completed', {
      description: 'the task completed',
    });
    const read = await readWithAiSdk(gateway, task.id);
    expect(read.message?.id).toBe('msg-seed');
    expect(textOf(read.message)).toBe(SEED_REPLY_TEXT);
    expect(read.chunks.map((chunk) => chunk.type)).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    expect(read.ids).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await gateway.rest.getTask(task.id)).task).toMatchObject({
      status: 'completed',
      result: { text: SEED_REPLY_TEXT },
      lastSeq: 10,
    });

    // A second task, run by the daemon on its own: its submit is the only command it got.
    const next = await gateway.rest.createTask({ goal: 'Again.', viberId: viber.id });
    await waitFor(async () => (await gateway.rest.getTask(next.id)).task.status === 'completed', {
      description: 'the second task completed',
    });
    const again = await readWithAiSdk(gateway, next.id);
    expect(textOf(again.message)).toBe(SEED_REPLY_TEXT);
    expect(checkStrictlyIncreasing(again.ids)).toBeUndefined();

    const frames = [...first.received, ...second.received];
    expect(frames.filter((frame) => frame.type !== 'welcome')).toEqual([
      { type: 'task:submit', taskId: task.id, goal: 'Say hello.' },
      { type: 'task:submit', taskId: next.id, goal: 'Again.' },
    ]);
    await second.close();
  });
});
