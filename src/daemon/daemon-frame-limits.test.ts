import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConnection } from '../../test/support/fake-gateway.ts';
import { type DaemonFixture, startFixture } from '../../test/support/in-process/daemon-fixture.ts';
import { LIMITS } from '../protocol/index.ts';

// Items 4 and 5 of the hardening issue, daemon side: no frame the daemon builds exceeds the
// gateway's size limit or nests deeper than it accepts, whatever the agent produces.

let fixture: DaemonFixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
});

async function runningTask(taskId: string): Promise<GatewayConnection> {
  fixture = await startFixture();
  const connection = await fixture.gateway.connection(1);
  await connection.waitFor('connected');
  connection.welcome(fixture.daemon.viberId);
  connection.send({ type: 'task:submit', commandId: `cmd-${taskId}`, taskId, goal: 'go' });
  await connection.waitFor('task:started', (event) => event.taskId === taskId);
  return connection;
}

/** Each task event's wire size: the daemon sends JSON.stringify of the event in this key order. */
const frameBytes = (message: unknown) => Buffer.byteLength(JSON.stringify(message));

describe('daemon frames', () => {
  it('sends a 2 MiB final answer whole in the stream and clipped in a task:completed that fits', async () => {
    const connection = await runningTask('task_big');
    const task = fixture!.agent.task('task_big');
    const text = 'abcdefgh'.repeat((2 * 1024 * 1024) / 8);
    task.chunk({ type: 'text-delta', id: 't', delta: text });
    task.end({ status: 'completed', result: { text } });
    const completed = await connection.waitFor('task:completed');
    const events = connection.messages.filter((message) => 'seq' in message);
    for (const event of events) expect(frameBytes(event)).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
    const streamed = connection
      .ofType('task:stream-chunk')
      .map((event) => String(event.chunk.delta))
      .join('');
    expect(streamed).toBe(text);
    expect(completed.result.text.length).toBeLessThanOrEqual(LIMITS.maxResultChars);
    expect(completed.result.text).toMatch(/\[answer clipped to 100000 of 2097152 characters; /);
  });

  it('sends a chunk nested past the chunk limit shallow, in its place', async () => {
    const connection = await runningTask('task_deep');
    const task = fixture!.agent.task('task_deep');
    const deep = (levels: number) => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);
    task.chunk({ type: 'tool-input-available', toolCallId: 'c1', toolName: 'x', input: deep(1_500) });
    // Past what JSON.stringify survives: it used to be dropped with only a log line.
    task.chunk({ type: 'data-deep', data: deep(50_000) });
    task.chunk({ type: 'text-delta', id: 't', delta: 'after' });
    await connection.waitFor('task:stream-chunk', (event) => event.chunk.type === 'text-delta');
    expect(connection.ofType('task:stream-chunk').map((event) => [event.seq, event.chunk])).toEqual([
      [
        2,
        {
          type: 'tool-input-available',
          toolCallId: 'c1',
          toolName: 'x',
          input: `[input dropped: nested deeper than ${LIMITS.maxChunkDepth} levels]`,
        },
      ],
      [
        3,
        {
          type: 'data-oversized-chunk',
          transient: true,
          data: { chunkType: 'data-deep', maxDepth: LIMITS.maxChunkDepth },
        },
      ],
      [4, { type: 'text-delta', id: 't', delta: 'after' }],
    ]);
  });
});
