import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { textsOf, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor, withTimeout } from '../support/wait.ts';

// Issue 2, third bullet, and DESIGN.md reliability rule 5: a daemon killed mid-task does not come
// back; after the grace period its running task ends in `error` with a reason, and the stream ends.

useE2eCleanup();

const HEARTBEAT_MS = 200;
const GRACE_MS = 1_000;

describe('daemon killed mid-task', () => {
  it('ends the task in error with a reason once the grace period is over', async () => {
    const never = createGate();
    const model = await startModelServer({
      script: () => ({
        type: 'text',
        text: ['Working ', 'on ', 'it ', 'now.'],
        beforeChunk: (i) => (i === 2 ? never.wait() : undefined),
      }),
    });
    const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'doomed',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });

    const task = await gateway.rest.createTask({ goal: 'Write a long essay.', viberId: daemon.viberId });
    const reader = await gateway.follow(task.id);
    await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= 2, {
      timeoutMs: 45_000,
      description: 'the first two text deltas',
    });
    expect((await gateway.rest.getTask(task.id)).task.status).toBe('running');

    await daemon.process.kill('SIGKILL');

    const detail = await waitForTaskStatus(
      gateway.rest,
      task.id,
      'error',
      3 * HEARTBEAT_MS + GRACE_MS + 30_000,
    );
    expect(detail.task.error).toEqual(expect.any(String));
    expect(detail.task.error?.length).toBeGreaterThan(5);
    expect(detail.task.endedAt).not.toBeNull();

    // The SSE stream ends too, keeping what was streamed before the daemon died.
    const message = await withTimeout(reader.finished, 15_000, 'the stream to end after the error');
    expect(textsOf(message).join('')).toContain('Working on');
    const viber = await gateway.rest.getViber(daemon.viberId);
    expect(viber?.presence).toBe('offline');
    never.open();
  });
});
