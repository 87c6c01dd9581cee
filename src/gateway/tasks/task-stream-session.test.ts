import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { publishChanges, taskTopic } from '../bus/gateway-topics.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { addViber, aTask } from '../store/contract/contract-harness.ts';
import { type GatewayStore, openSqliteStore } from '../store/index.ts';
import { toAppend } from './task-event-intake.ts';
import { outboxCommand } from './task-router.ts';
import { TaskStreamSession } from './task-stream-session.ts';

const at = () => new Date().toISOString();
const metrics = new GatewayMetrics();

describe('TaskStreamSession', () => {
  let dir: string;
  let store: GatewayStore;
  let bus: InProcessTopicBus;
  const taskId = 'task_session-test';

  /** Stores seq as the gateway does for a daemon's event (the store announces it on the bus). */
  async function append(
    seq: number,
    type = 'task:stream-chunk',
    payload = `{"type":"text-delta","id":"t","delta":"${seq}"}`,
  ) {
    const [result] = await store.appendTaskEvents('viber_v', [
      {
        event: { taskId, seq, type, payload, at: at() },
        transition: () => (type === 'task:completed' ? { status: 'completed', endedAt: at() } : null),
      },
    ]);
    expect(result?.outcome).toBe('stored');
  }

  async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
    let text = '';
    const decoder = new TextDecoder();
    for await (const bytes of stream) text += decoder.decode(bytes, { stream: true });
    return text;
  }

  beforeEach(async () => {
    dir = makeTempDir('session');
    bus = new InProcessTopicBus(pino({ level: 'silent' }));
    store = openSqliteStore(join(dir, 'test.db'), (changes) => publishChanges(bus, changes));
    await addViber(store, 'viber_v');
    const task = aTask(taskId, 'viber_v', { status: 'running', startedAt: at() });
    await store.insertTask(task, outboxCommand('viber_v', { type: 'task:submit', taskId, goal: 'g' }));
  });
  afterEach(async () => {
    await store.close();
    removeTempDir(dir);
  });

  const open = (after = 0, onEnd = () => {}) =>
    new TaskStreamSession({ taskId, after, store, bus, log: pino({ level: 'silent' }), metrics, onEnd });

  it('gives a client that does not read a cursor, not a buffer, and loses nothing', async () => {
    const session = open();
    for (let seq = 1; seq <= 2000; seq++) await append(seq);
    await append(2001, 'task:completed', '{"result":{"text":"x"}}');
    const text = await readAll(session.stream);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('unsubscribes from the bus when the client goes away', async () => {
    let ended = false;
    const session = open(0, () => {
      ended = true;
    });
    const reader = session.stream.getReader();
    expect(bus.listenerCount(taskTopic(taskId))).toBe(1);
    await reader.cancel();
    expect(bus.listenerCount(taskTopic(taskId))).toBe(0);
    expect(ended).toBe(true);
  });

  it('ends a failed task for a resuming client with [DONE], whatever the log holds', async () => {
    // A chunk past SQLite's 1,000-level JSON limit made the end check throw: the stream closed
    // without [DONE] and a resuming client reconnected forever.
    const levels = 1_500;
    const deep = JSON.parse(
      `{"type":"tool-input-available","input":${'['.repeat(levels)}${']'.repeat(levels)}}`,
    );
    const results = await store.appendTaskEvents('viber_v', [
      toAppend({ type: 'task:stream-chunk', taskId, seq: 1, chunk: deep }, at()),
      toAppend(
        { type: 'task:stream-chunk', taskId, seq: 2, chunk: { type: 'error', errorText: 'boom' } },
        at(),
      ),
      toAppend({ type: 'task:error', taskId, seq: 3, error: 'boom' }, at()),
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['stored', 'stored', 'stored']);
    // Resuming after the error chunk: the session did not see it, so it asks the store.
    expect(await readAll(open(2).stream)).toBe('data: [DONE]\n\n');
    // From the start: both chunks as stored, no second error, then [DONE].
    const replay = await readAll(open(0).stream);
    expect(replay).toMatch(
      /^id: 1\ndata: \{"type":"tool-input-available".*\n\nid: 2\ndata: \{"type":"error"/s,
    );
    expect(replay.match(/"type":"error"/g)).toHaveLength(1);
    expect(replay.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
