import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { allTextsOf, lastMessage, textsOf, userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { textOf } from '../support/openai-script.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor, withTimeout } from '../support/wait.ts';

// Issue 2, fifth bullet: stop a running task (partial output kept), and follow-up messages in
// the three injection modes of the protocol document, section 5, each delivered and answered.

useE2eCleanup();

describe('stop', () => {
  it('ends a running task as stopped and keeps what it streamed', async () => {
    const never = createGate();
    const model = await startModelServer({
      script: () => ({
        type: 'text',
        text: ['Partial ', 'answer ', 'so ', 'far'],
        beforeChunk: (i) => (i === 2 ? never.wait() : undefined),
      }),
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'stoppable' });

    const task = await gateway.rest.createTask({ goal: 'Think for a long time.', viberId: daemon.viberId });
    const reader = await gateway.follow(task.id);
    await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= 2, {
      timeoutMs: 45_000,
      description: 'two text deltas',
    });

    await gateway.rest.stopTask(task.id);
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'stopped');
    expect(detail.task.stopRequested).toBe(true);
    expect(detail.task.endedAt).not.toBeNull();
    // The model call was really ended, not left running on the viber.
    await waitFor(() => model.openStreams === 0, {
      timeoutMs: 15_000,
      description: 'the model stream to close',
    });

    const message = await withTimeout(reader.finished, 15_000, 'the stream to end after stop');
    expect(textsOf(message).join('')).toBe('Partial answer ');
    // A late subscriber gets the same partial output from the stored log.
    const replay = await withTimeout((await gateway.follow(task.id)).finished, 15_000, 'the replay');
    expect(textsOf(replay).join('')).toBe('Partial answer ');
    never.open();
  });
});

describe('follow-up messages', () => {
  it('delivers collect, steer and followup messages; each is answered in the stream', async () => {
    const firstRun = createGate();
    const model = await startModelServer({
      script: (request) => {
        if (request.index === 0) {
          return {
            type: 'text',
            text: ['Starting ', 'the ', 'job.'],
            beforeChunk: (i) => (i === 2 ? firstRun.wait() : undefined),
          };
        }
        // One `ack: <line>` per line the user turn holds (a collect batch may merge several).
        const lines = textOf(lastMessage(request.body)?.content)
          .split('\n')
          .map((line) => line.trim());
        return {
          type: 'text',
          text: lines
            .filter(Boolean)
            .map((line) => `ack: ${line}`)
            .join('\n'),
        };
      },
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'chatty' });

    const task = await gateway.rest.createTask({ goal: 'Start the job.', viberId: daemon.viberId });
    const reader = await gateway.follow(task.id);
    await waitFor(() => reader.chunks.some((chunk) => chunk.type === 'text-delta'), {
      timeoutMs: 45_000,
      description: 'the first run to stream',
    });

    const sent = [
      await gateway.rest.sendMessage(task.id, 'collect-msg', 'collect'),
      await gateway.rest.sendMessage(task.id, 'steer-msg', 'steer'),
      await gateway.rest.sendMessage(task.id, 'followup-msg', 'followup'),
    ];
    expect(sent.map((m) => [m.message, m.injectionMode])).toEqual([
      ['collect-msg', 'collect'],
      ['steer-msg', 'steer'],
      ['followup-msg', 'followup'],
    ]);
    // All three reach the viber while its first run is still going.
    await waitFor(
      async () => {
        const { messages } = await gateway.rest.getTask(task.id);
        return messages.length === 3 && messages.every((m) => m.deliveredAt !== null);
      },
      { timeoutMs: 30_000, description: 'all three messages delivered' },
    );
    firstRun.open();

    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed', 60_000);
    await withTimeout(reader.finished, 15_000, 'the stream to end');

    // Each message became a user turn the model saw, steer first, then in arrival order.
    const turns = model.requests.slice(1).map((request) => textOf(lastMessage(request.body)?.content));
    const order = ['steer-msg', 'collect-msg', 'followup-msg'];
    const firstSeen = order.map((text) => turns.findIndex((turn) => turn.includes(text)));
    expect(firstSeen.every((index) => index >= 0)).toBe(true);
    expect(firstSeen[0]).toBeLessThanOrEqual(firstSeen[1]!);
    expect(firstSeen[1]).toBeLessThanOrEqual(firstSeen[2]!);
    // The whole conversation goes along: the last request still carries the goal.
    expect(userText(model.requests.at(-1)!.body)).toContain('Start the job.');

    // The answers appear in the task's stream (one assistant message per run), and the messages
    // are recorded as delivered.
    expect(reader.messages.map((m) => m.role)).toEqual(['assistant', 'assistant', 'assistant', 'assistant']);
    expect(textsOf(reader.messages[0])).toEqual(['Starting the job.']);
    const streamed = allTextsOf(reader.messages).join('\n');
    for (const text of order) expect(streamed).toContain(`ack: ${text}`);
    expect(detail.messages.map((m) => m.message).sort()).toEqual([
      'collect-msg',
      'followup-msg',
      'steer-msg',
    ]);
  });
});
