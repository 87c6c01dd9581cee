import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnDaemon, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { sleep, waitFor, withTimeout } from '../support/wait.ts';
import {
  compareResumedStream,
  randomBetween,
  referenceRun,
  secondsSince,
  startStreamingModel,
} from './chaos-stack.ts';
import { chaosSize, recordFigures } from './chaos-table.ts';

// Issue 12, item 4: the daemon is SIGKILLed again and again while a task streams, and restarted
// on the same home each time. The task resumes after every restart (its durable outbox and task
// journal) and completes: every event once and in order, a restart marker per kill, and the
// answer after the last restart equal to an uninterrupted run's.

useE2eCleanup();

const CYCLES = chaosSize('DAEMON_KILLS', 2, 20);
const HEARTBEAT_MS = 500;

describe('daemon SIGKILL loop', () => {
  it(`resumes and completes the task over ${CYCLES} daemon kills`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = { cycles: 0 };
    let result = 'FAIL';
    try {
      const model = await startStreamingModel(40);
      const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: 120_000 });
      let daemon = await spawnViberFor(gateway, {
        modelBaseURL: model.baseURL,
        name: 'killed',
        heartbeatIntervalMs: HEARTBEAT_MS,
      });
      const { home, viberId, token } = daemon;
      const reference = await referenceRun(gateway, viberId);
      const task = await gateway.rest.createTask({ goal: 'Recite the words (daemon kill loop)', viberId });
      const reader = await gateway.follow(task.id);
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const before = reader.chunks.length;
        await waitFor(() => reader.chunks.slice(before).some((chunk) => chunk.type === 'text-delta'), {
          timeoutMs: 60_000,
          description: 'text deltas before the kill',
        });
        await sleep(randomBetween(0, 1_000));
        await daemon.process.kill('SIGKILL');
        const restarted = await spawnDaemon({
          serverUrl: gateway.wsUrl,
          viberId,
          token,
          home,
          modelBaseURL: model.baseURL,
          name: `killed-${cycle + 1}`,
          heartbeatIntervalMs: HEARTBEAT_MS,
        });
        daemon = Object.assign(restarted, { token });
        figures.cycles = cycle;
      }
      await withTimeout(reader.finished, 180_000, 'the task stream to end');
      const detail = await gateway.rest.getTask(task.id);
      expect(detail.task.status, detail.task.error ?? '').toBe('completed');
      const comparison = compareResumedStream(reader, reference, {
        lastSeq: detail.task.lastSeq,
        lifecycleSeqs: detail.events.map((event) => event.seq),
      });
      Object.assign(figures, {
        events: comparison.events,
        lost: comparison.lost,
        duplicated: comparison.duplicated,
        'restart markers': comparison.restarts,
        'answer equal': comparison.answerEqual ? 'yes' : 'no',
      });
      expect(comparison).toMatchObject({ lost: 0, duplicated: 0, answerEqual: true });
      // A kill may land between steps, where there is nothing to mark; never more markers than kills.
      expect(comparison.restarts).toBeGreaterThan(0);
      expect(comparison.restarts).toBeLessThanOrEqual(CYCLES);
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures('daemon SIGKILL loop', result, figures);
    }
  });
});
