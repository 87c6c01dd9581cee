import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import type { ManagedProcess } from '../support/processes.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { sleep, waitFor, withTimeout } from '../support/wait.ts';
import { compareStream, referenceRun, secondsSince, startStreamingModel } from './chaos-stack.ts';
import { chaosSize, recordFigures } from './chaos-table.ts';

// Issue 12, item 4: SIGSTOP, then SIGCONT, of the gateway and of the daemon while a task streams.
// The daemon is stopped for longer than three heartbeat intervals, so the gateway marks it offline;
// within the task grace it comes back and the task completes. Nothing is lost or doubled.

useE2eCleanup();

const HEARTBEAT_MS = 200;
const GRACE_MS = 60_000;
const STOP_MS = 2_000;
const ROUNDS = chaosSize('STOPS', 1, 5);

async function freeze(process: ManagedProcess, ms: number): Promise<void> {
  process.child.kill('SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.child.kill('SIGCONT');
  }
}

describe.each(['gateway', 'daemon'] as const)('SIGSTOP of the %s mid-stream', (target) => {
  it(`loses nothing over ${ROUNDS} stop(s) of ${STOP_MS} ms`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = { stops: 0, 'stopped ms': STOP_MS };
    let result = 'FAIL';
    try {
      const model = await startStreamingModel(20);
      const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: GRACE_MS });
      const daemon = await spawnViberFor(gateway, {
        modelBaseURL: model.baseURL,
        name: `stop-${target}`,
        heartbeatIntervalMs: HEARTBEAT_MS,
      });
      const reference = await referenceRun(gateway, daemon.viberId);
      let total = { compared: 0, lost: 0, duplicated: 0, mismatched: 0 };
      for (let round = 1; round <= ROUNDS; round++) {
        const task = await gateway.rest.createTask({
          goal: `Recite the words (stop ${round})`,
          viberId: daemon.viberId,
        });
        const reader = await gateway.follow(task.id);
        await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= 10, {
          timeoutMs: 60_000,
          description: 'ten text deltas',
        });
        const victim = target === 'gateway' ? gateway.process : daemon.process;
        await freeze(victim, STOP_MS);
        figures.stops = round;
        await withTimeout(reader.finished, 120_000, 'the stream to end after SIGCONT');
        const detail = await waitFor(
          async () => {
            const current = await gateway.rest.getTask(task.id);
            return current.task.status === 'running' || current.task.status === 'pending'
              ? undefined
              : current;
          },
          { timeoutMs: 60_000, description: 'the task to end' },
        );
        expect(detail.task.status, detail.task.error ?? '').toBe('completed');
        const comparison = compareStream(reader, reference);
        total = {
          compared: total.compared + comparison.compared,
          lost: total.lost + comparison.lost,
          duplicated: total.duplicated + comparison.duplicated,
          mismatched: total.mismatched + comparison.mismatched,
        };
        expect(comparison).toEqual({ compared: reference.length, lost: 0, duplicated: 0, mismatched: 0 });
      }
      Object.assign(figures, {
        'chunks compared': total.compared,
        lost: total.lost,
        duplicated: total.duplicated,
        mismatched: total.mismatched,
        ...(target === 'daemon' ? { 'daemon reconnects': daemon.connections - 1 } : {}),
      });
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures(`SIGSTOP ${target}`, result, figures);
    }
  });
});
