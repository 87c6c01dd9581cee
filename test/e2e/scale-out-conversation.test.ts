import { describe, expect, it } from 'vitest';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  allTextsOf,
  lastMessage,
  makeFixtureDir,
  userText,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import { type ChatRequestBody, type ScriptTurn, textOf } from '../support/openai-script.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { type GatewayHandle, spawnDaemon } from '../support/viber-stack.ts';
import { createGate, waitFor, withTimeout } from '../support/wait.ts';

// Issue 17, item 3, the rest of "any gateway serves any request": three gateway processes on a
// real PostgreSQL and Redis, the daemon on A. An approval answered on C and a follow-up sent to B
// reach it; C's board events tell of a task created on B; and each command reaches the daemon once.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;

/** The board's push events of a gateway, as text, for as long as the test runs. */
async function boardEvents(gateway: GatewayHandle): Promise<{ text: () => string }> {
  const abort = new AbortController();
  onCleanup(() => abort.abort());
  const response = await fetch(`${gateway.url}/api/events`, {
    headers: { authorization: `Bearer ${gateway.operatorToken}` },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  let text = '';
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      // aborted at the end of the test
    }
  })();
  return { text: () => text };
}

describe('several gateways: approvals, follow-ups, board events', { timeout: 240_000 }, () => {
  it('answers an approval on C and a follow-up on B for a task on A, each command once', async () => {
    const firstRun = createGate();
    const model = await startModelServer({
      script: ({ body }: { body: ChatRequestBody }): ScriptTurn => {
        const last = textOf(lastMessage(body)?.content);
        if (last.includes('follow-up-msg')) return { type: 'text', text: 'ack: follow-up-msg' };
        if (lastMessage(body)?.role === 'tool') {
          return {
            type: 'text',
            text: 'Listed, with approval.',
            beforeChunk: (i) => (i === 0 ? firstRun.wait() : undefined),
          };
        }
        return {
          type: 'tool-calls',
          calls: [{ id: 'call_list', name: 'list_directory', input: { path: '.' } }],
        };
      },
    });
    const [a, b, c] = await threeGateways(HEARTBEAT_MS);
    const viber = await a!.rest.registerViber('conversing-viber');
    const daemon = await spawnDaemon({
      serverUrl: a!.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'conversing-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const eventsOnC = await boardEvents(c!);

    const task = await b!.rest.createTask({
      goal: 'List the folder, with approval.',
      viberId: viber.id,
      options: { mode: 'always-ask', cwd: makeFixtureDir() },
    });
    // C's board hears of a task created on B.
    await waitFor(() => eventsOnC.text().includes(task.id), { description: "the task in C's board events" });

    // The approval, asked on A's viber, answered on C.
    const stream = await c!.follow(task.id);
    const approvalId = await waitFor(
      () => stream.chunks.find((chunk) => chunk.type === 'tool-approval-request')?.approvalId,
      { description: 'the approval request, read on C' },
    );
    const answered = await c!.rest.request('POST', `/api/tasks/${task.id}/approvals/${approvalId}`, {
      body: { approved: true },
    });
    expect(answered.status).toBe(202);

    // A follow-up sent to B while the first run is still answering.
    await waitFor(() => model.requests.some((request) => lastMessage(request.body)?.role === 'tool'), {
      description: 'the approved tool ran',
    });
    const sent = await b!.rest.sendMessage(task.id, 'follow-up-msg', 'followup');
    expect(sent.message).toBe('follow-up-msg');
    await waitFor(
      async () => (await c!.rest.getTask(task.id)).messages.every((m) => m.deliveredAt !== null),
      {
        description: 'the follow-up delivered to the daemon on A',
      },
    );
    firstRun.open();
    await waitForTaskStatus(c!.rest, task.id, 'completed', 60_000);
    await withTimeout(stream.finished, 30_000, 'the stream on C to end');
    // One assistant message per run: the approved one, then the follow-up's.
    const texts = allTextsOf(stream.messages).join('\n');
    expect(texts).toContain('Listed, with approval.');
    expect(texts).toContain('ack: follow-up-msg');
    expect(userText(model.requests.at(-1)!.body)).toContain('List the folder, with approval.');

    // Each command acted on once: one start, one approved tool call, one follow-up turn.
    const log = daemon.process.stderr;
    const count = (pattern: RegExp) => log.split('\n').filter((line) => pattern.test(line)).length;
    expect(count(new RegExp(`"taskId":"${task.id}".*"msg":"task started"`))).toBe(1);
    expect(count(/"toolCallId":"call_list".*"msg":"tool call"/)).toBe(1);
    const followUpTurns = model.requests.filter((request) =>
      textOf(lastMessage(request.body)?.content).includes('follow-up-msg'),
    );
    expect(followUpTurns).toHaveLength(1);
  });
});
