import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  checkStrictlyIncreasing,
  makeFixtureDir,
  normalizeMessage,
  range,
  toolThenText,
  userText,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import { restartGateway, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor, withTimeout } from '../support/wait.ts';

// Issue 2, second bullet, and DESIGN.md reliability rules 1-3: the gateway is SIGKILLed while a
// task streams; chunks produced while it is down wait in the daemon's outbox; after a restart on
// the same home and port nothing is missing and nothing is doubled.

useE2eCleanup();

const FINAL_TEXT = 'one two three four five six seven eight nine ten eleven twelve';
const HOLD_AT = 4;

describe('gateway killed mid-stream', () => {
  it('loses no chunk and doubles none: the reassembled message equals an uninterrupted run', async () => {
    const hold = createGate();
    const model = await startModelServer({
      script: toolThenText({
        text: FINAL_TEXT,
        // Only the interrupted run holds its text after HOLD_AT deltas, until the gateway is dead.
        textTurn: (body) =>
          userText(body).includes('run 2')
            ? { beforeChunk: (i) => (i === HOLD_AT ? hold.wait() : undefined) }
            : {},
      }),
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'restart' });
    const cwd = makeFixtureDir();

    // Run 1, uninterrupted: the reference.
    const first = await gateway.rest.createTask({
      goal: 'List the folder (run 1)',
      viberId: daemon.viberId,
      options: { cwd },
    });
    const referenceReader = await gateway.follow(first.id);
    const reference = await withTimeout(referenceReader.finished, 45_000, 'run 1 to end');
    await waitForTaskStatus(gateway.rest, first.id, 'completed');

    // Run 2: watch it until HOLD_AT text deltas arrived over SSE, then kill the gateway.
    const second = await gateway.rest.createTask({
      goal: 'List the folder (run 2)',
      viberId: daemon.viberId,
      options: { cwd },
    });
    const reader = await gateway.follow(second.id);
    await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= HOLD_AT, {
      timeoutMs: 45_000,
      description: `${HOLD_AT} text deltas of run 2`,
    });
    await gateway.process.kill('SIGKILL');
    expect((await withTimeout(reader.connectionEnded(), 10_000, 'the SSE connection to drop'))?.outcome).toBe(
      'failed',
    );

    // The rest of the answer streams while the gateway is down: it can only wait in the outbox.
    hold.open();
    const run2Requests = () => model.requests.filter((request) => userText(request.body).includes('run 2'));
    await waitFor(
      () => run2Requests().some((r) => r.body.messages.at(-1)?.role === 'tool') && model.openStreams === 0,
      {
        timeoutMs: 30_000,
        description: 'the model to finish streaming run 2',
      },
    );

    const restarted = await restartGateway(gateway);
    expect(restarted.port).toBe(gateway.port);
    await daemon.waitForConnection(2, 45_000);

    // The same SSE client comes back with Last-Event-ID and reads to the end.
    const lastSeen = Number(reader.lastEventId);
    await reader.reconnect();
    const message = await withTimeout(reader.finished, 45_000, 'run 2 stream to end after the restart');
    expect(reader.connections.map((c) => c.outcome)).toEqual(['failed', 'ended']);
    expect(reader.connections[1]?.lastEventId).toBe(String(lastSeen));
    expect(reader.parseErrors).toEqual([]);
    expect(reader.messageErrors).toEqual([]);

    // Every chunk exactly once: seqs strictly increase across both connections.
    expect(checkStrictlyIncreasing(reader.seqs)).toBeUndefined();
    expect(normalizeMessage(message)).toEqual(normalizeMessage(reference));
    expect(reader.chunks.map((chunk) => chunk.type)).toEqual(
      referenceReader.chunks.map((chunk) => chunk.type),
    );

    const detail = await waitForTaskStatus(restarted.rest, second.id, 'completed');
    // The stored log: stream chunk seqs (replayed from the start) and lifecycle event seqs together
    // are exactly 1..lastSeq, none missing, none twice.
    const replay = await restarted.follow(second.id);
    const replayed = await withTimeout(replay.finished, 15_000, 'the replay to end');
    expect(normalizeMessage(replayed)).toEqual(normalizeMessage(reference));
    expect(replay.seqs).toEqual(reader.seqs);
    const allSeqs = [...new Set([...replay.seqs, ...detail.events.map((event) => event.seq)])].sort(
      (a, b) => a - b,
    );
    expect(allSeqs).toEqual(range(detail.task.lastSeq));
    expect(new Set(replay.seqs).size).toBe(replay.seqs.length);

    // The first task survived the restart untouched.
    const firstAgain = await restarted.rest.getTask(first.id);
    expect(firstAgain.task.status).toBe('completed');
    const firstReplay = await withTimeout(
      (await restarted.follow(first.id)).finished,
      15_000,
      'run 1 replay',
    );
    expect(normalizeMessage(firstReplay)).toEqual(normalizeMessage(reference));
  });
});
