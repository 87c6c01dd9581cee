import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import type { TaskStreamReader } from '../support/task-stream-reader.ts';
import { type GatewayHandle, restartGateway, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { sleep, waitFor, withTimeout } from '../support/wait.ts';
import {
  compareStream,
  randomBetween,
  referenceRun,
  type StreamComparison,
  secondsSince,
  startStreamingModel,
  sumComparisons,
} from './chaos-stack.ts';
import { chaosSize, recordFigures } from './chaos-table.ts';

// Issue 12, item 4: the gateway is SIGKILLed again and again at random points while tasks stream
// from a real daemon, and restarted on the same home and port each time. Every task's stream, read
// across all those connections with Last-Event-ID, equals an uninterrupted run chunk for chunk.
// Generalises test/e2e/gateway-restart.test.ts.

useE2eCleanup();

const CYCLES = chaosSize('GATEWAY_KILLS', 5, 100);

describe('gateway SIGKILL loop', () => {
  it(`loses and doubles nothing over ${CYCLES} kills during streaming tasks`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = { cycles: 0 };
    let result = 'FAIL';
    try {
      const model = await startStreamingModel(15);
      let gateway: GatewayHandle = await spawnGateway();
      const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'kill-loop' });
      const reference = await referenceRun(gateway, daemon.viberId);

      const readers: TaskStreamReader[] = [];
      const taskIds = new Map<TaskStreamReader, string>();
      let current: TaskStreamReader | undefined;
      const restarts: number[] = [];
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        // Keep a task streaming: a new one once the current one is near its end.
        if (!current || current.chunks.length > reference.length - 20) {
          const task = await gateway.rest.createTask({
            goal: `Recite the words (kill loop, task ${readers.length + 1})`,
            viberId: daemon.viberId,
          });
          current = await gateway.follow(task.id);
          readers.push(current);
          taskIds.set(current, task.id);
          await waitFor(() => current!.chunks.some((chunk) => chunk.type === 'text-delta'), {
            timeoutMs: 60_000,
            description: 'the first text delta of a new task',
          });
        }
        await sleep(randomBetween(0, 400));
        await gateway.process.kill('SIGKILL');
        const open = readers.filter((reader) => reader.connections.at(-1)?.outcome !== 'ended');
        await Promise.all(
          open.map((reader) => withTimeout(reader.connectionEnded(), 15_000, 'an SSE connection to drop')),
        );
        const downAt = Date.now();
        gateway = await restartGateway(gateway, `gateway-${cycle + 1}`);
        await daemon.waitForConnection(cycle + 1, 60_000);
        restarts.push(Date.now() - downAt);
        for (const reader of open) {
          if (reader.connections.at(-1)?.outcome === 'ended') continue;
          const rejected = await reader.reconnect();
          if (rejected) throw new Error(`a reconnect was refused: ${rejected.status} ${rejected.text}`);
        }
        figures.cycles = cycle;
      }

      await Promise.all(
        readers.map((reader) => withTimeout(reader.finished, 120_000, 'a task stream to end')),
      );
      const comparisons: StreamComparison[] = [];
      for (const reader of readers) {
        const comparison = compareStream(reader, reference);
        comparisons.push(comparison);
        expect(reader.parseErrors).toEqual([]);
        expect(reader.messageErrors).toEqual([]);
      }
      // Every task completed, and its stored log replays the same.
      for (const reader of readers) {
        const taskId = taskIds.get(reader)!;
        await waitFor(async () => (await gateway.rest.getTask(taskId)).task.status === 'completed', {
          timeoutMs: 60_000,
          description: `task ${taskId} to be completed`,
        });
        const replay = await gateway.follow(taskId);
        await withTimeout(replay.finished, 30_000, 'a replay to end');
        comparisons.push(compareStream(replay, reference));
      }
      const sum = sumComparisons(comparisons);
      Object.assign(figures, {
        tasks: readers.length,
        reconnects: readers.reduce((n, reader) => n + reader.connections.length - 1, 0),
        'chunks compared': sum.compared,
        lost: sum.lost,
        duplicated: sum.duplicated,
        mismatched: sum.mismatched,
        'restart ms (mean)': Math.round(restarts.reduce((a, b) => a + b, 0) / Math.max(1, restarts.length)),
      });
      expect(sum).toEqual({
        compared: reference.length * readers.length * 2,
        lost: 0,
        duplicated: 0,
        mismatched: 0,
      });
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures('gateway SIGKILL loop', result, figures);
    }
  });
});
