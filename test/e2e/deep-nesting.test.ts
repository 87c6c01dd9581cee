import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, makeFixtureDir, toolPartOf, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { textOf } from '../support/openai-script.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

// Item 5 of the hardening issue, over real processes: a model's tool call arguments nested 1,500
// levels deep (past SQLite's 1,000-level JSON limit). The stream-end check of a failed task used
// to run json_extract over the task's log and throw on that chunk, so the stream closed without
// [DONE] and a resuming client reconnected forever. Now the tool refuses the input by the limit,
// the chunk is relayed shallow, and every stream of the task ends with [DONE].

useE2eCleanup();

const LEVELS = 1_500;
/** `{"path":{"path":...{"path":"."}}}`, LEVELS objects deep. */
const DEEP_INPUT: unknown = JSON.parse(`${'{"path":'.repeat(LEVELS)}"."${'}'.repeat(LEVELS)}`);

describe('a tool call nested 1,500 levels deep', () => {
  it('is refused by the tool with the limit named, and every stream of the task ends with [DONE]', async () => {
    const model = await startModelServer({
      // First the deep call; once its result is in, the provider fails, so the task ends in error
      // (the end check that used to parse the log runs only for failed tasks).
      script: ({ body }) =>
        lastMessage(body)?.role === 'tool'
          ? { type: 'error', status: 400, message: 'the model gave up', code: 'invalid_request' }
          : { type: 'tool-calls', calls: [{ id: 'call_deep', name: 'list_directory', input: DEEP_INPUT }] },
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'deep' });
    const task = await gateway.rest.createTask({
      goal: 'List the folder.',
      viberId: daemon.viberId,
      options: { cwd: makeFixtureDir() },
    });

    const reader = await gateway.follow(task.id);
    const message = await withTimeout(reader.finished, 45_000, 'the task stream to end');
    expect(reader.sawDone).toBe(true);
    expect(reader.parseErrors).toEqual([]);
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'error', 15_000);
    expect(detail.task.error).toMatch(/gave up/);

    // The tool refused the input by the limit, and the model was told so.
    const toolMessage = model.requests.at(-1)?.body.messages.find((entry) => entry.role === 'tool');
    expect(textOf(toolMessage?.content)).toContain(
      `Invalid input for list_directory: (input) nests deeper than ${LIMITS.maxJsonDepth} levels, the limit`,
    );
    // The call keeps its place in the message, its input replaced by a note.
    const part = toolPartOf(message, 'list_directory');
    expect(part).toMatchObject({
      toolCallId: 'call_deep',
      input: `[input dropped: nested deeper than ${LIMITS.maxChunkDepth} levels]`,
    });

    // A client resuming after the last event it saw: the case that used to loop forever.
    const lastSeen = reader.lastEventId;
    expect(lastSeen).toBeDefined();
    const resumed = await gateway.follow(task.id, lastSeen);
    await withTimeout(resumed.finished, 15_000, 'the resumed stream to end');
    expect(resumed.sawDone).toBe(true);
    expect(resumed.connections.map((connection) => connection.outcome)).toEqual(['ended']);
    // And a late subscriber replaying from the start.
    const replay = await gateway.follow(task.id);
    await withTimeout(replay.finished, 15_000, 'the replay to end');
    expect(replay.sawDone).toBe(true);
    expect(replay.seqs).toEqual(reader.seqs);
    expect(gateway.process.stderr).not.toMatch(/task stream failed/);
  });
});
