import type { UIMessageChunk } from 'ai';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FakeDaemon } from '../support/fake-daemon.ts';
import type { TaskStreamReader } from '../support/task-stream-reader.ts';
import { type GatewayHandle, spawnGateway } from '../support/viber-stack.ts';
import { sleep, waitFor, withTimeout } from '../support/wait.ts';
import { compareStream, secondsSince } from './chaos-stack.ts';
import { chaosSize, processFigures, recordFigures } from './chaos-table.ts';

// Issue 12, item 4: many tasks at once on one viber (a FakeDaemon streaming every one of them, each
// read by its own SSE client). All complete with their whole stream, and afterwards the gateway's
// resident memory and open file descriptors are back within a stated bound of what they were.

useE2eCleanup();

const TASKS = chaosSize('CONCURRENT_TASKS', 40, 200);
const DELTAS = 30;
/** "Flat": descriptors back to at most this many above before, memory at most this much above. */
const FD_BOUND = 10;
const RSS_BOUND_KIB = 32 * 1024;

function chunksFor(index: number): UIMessageChunk[] {
  const id = 'text-1';
  return [
    { type: 'start' },
    { type: 'text-start', id },
    ...Array.from({ length: DELTAS }, (_, delta) => ({
      type: 'text-delta' as const,
      id,
      delta: `t${index}w${delta} `,
    })),
    { type: 'text-end', id },
    { type: 'finish' },
  ];
}

/** Creates `count` tasks at once, streams them all interleaved from the fake viber, reads them all. */
async function round(
  gateway: GatewayHandle,
  daemon: FakeDaemon,
  count: number,
): Promise<{ compared: number; lost: number; duplicated: number; mismatched: number }> {
  const tasks = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      gateway.rest.createTask({ goal: `concurrent ${index}`, viberId: daemon.viberId }),
    ),
  );
  const readers: TaskStreamReader[] = await Promise.all(tasks.map((task) => gateway.follow(task.id)));
  await Promise.all(tasks.map((task) => daemon.startTask(task.id)));
  const streams = tasks.map((_, index) => chunksFor(index));
  for (let position = 0; position < streams[0]!.length; position++) {
    tasks.forEach((task, index) => {
      daemon.send({
        type: 'task:stream-chunk',
        taskId: task.id,
        seq: position + 2,
        chunk: streams[index]![position]!,
      });
    });
    await sleep(5);
  }
  tasks.forEach((task, index) => {
    daemon.send({
      type: 'task:completed',
      taskId: task.id,
      seq: streams[index]!.length + 2,
      result: {
        text: streams[index]!.filter((chunk) => chunk.type === 'text-delta')
          .map((chunk) => chunk.delta)
          .join(''),
      },
    });
  });
  await Promise.all(
    readers.map((reader) => withTimeout(reader.finished, 120_000, 'a concurrent stream to end')),
  );
  const sum = { compared: 0, lost: 0, duplicated: 0, mismatched: 0 };
  readers.forEach((reader, index) => {
    const comparison = compareStream(reader, streams[index]!);
    sum.compared += comparison.compared;
    sum.lost += comparison.lost;
    sum.duplicated += comparison.duplicated;
    sum.mismatched += comparison.mismatched;
  });
  const statuses = await Promise.all(
    tasks.map(async (task) => (await gateway.rest.getTask(task.id)).task.status),
  );
  expect(statuses.filter((status) => status !== 'completed')).toEqual([]);
  return sum;
}

/** The gateway's figures once it has been idle a moment (sockets closed, timers run). */
async function settled(gateway: GatewayHandle): Promise<{ rssKiB: number; fds: number }> {
  await sleep(2_000);
  return processFigures(gateway.process.pid);
}

describe('concurrent tasks', () => {
  it(`streams ${TASKS} tasks at once to the end; RSS and fds flat afterwards`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = { tasks: TASKS };
    let result = 'FAIL';
    try {
      const gateway = await spawnGateway();
      const viber = await gateway.rest.registerViber('busy');
      const daemon = await FakeDaemon.connect(gateway.wsUrl, {
        viberId: viber.id,
        token: viber.token,
        name: 'busy',
      });
      // A warm-up round of the same size first: what the first round allocates once (caches, JIT,
      // the heap grown to its high-water mark) is not a leak; a leak grows again with the second.
      await round(gateway, daemon, TASKS);
      const before = await settled(gateway);
      let peakRss = before.rssKiB;
      let peakFds = before.fds;
      const sampler = setInterval(() => {
        try {
          const now = processFigures(gateway.process.pid);
          peakRss = Math.max(peakRss, now.rssKiB);
          peakFds = Math.max(peakFds, now.fds);
        } catch {
          // the process is gone: the test fails below
        }
      }, 100);
      const roundStart = Date.now();
      const sum = await round(gateway, daemon, TASKS).finally(() => clearInterval(sampler));
      figures['round s'] = secondsSince(roundStart);
      const after = await waitFor(
        async () => {
          const now = await settled(gateway);
          return now.fds <= before.fds + FD_BOUND && now.rssKiB <= before.rssKiB + RSS_BOUND_KIB
            ? now
            : undefined;
        },
        { timeoutMs: 30_000, description: 'the gateway to come back to its figures' },
      ).catch(() => processFigures(gateway.process.pid));
      Object.assign(figures, {
        'chunks compared': sum.compared,
        lost: sum.lost,
        duplicated: sum.duplicated,
        mismatched: sum.mismatched,
        'RSS MiB before': before.rssKiB / 1024,
        'RSS MiB peak': peakRss / 1024,
        'RSS MiB after': after.rssKiB / 1024,
        'fds before': before.fds,
        'fds peak': peakFds,
        'fds after': after.fds,
        bound: `fds +${FD_BOUND}, RSS +${RSS_BOUND_KIB / 1024} MiB`,
      });
      expect(sum).toEqual({ compared: TASKS * (DELTAS + 4), lost: 0, duplicated: 0, mismatched: 0 });
      expect(after.fds).toBeLessThanOrEqual(before.fds + FD_BOUND);
      expect(after.rssKiB).toBeLessThanOrEqual(before.rssKiB + RSS_BOUND_KIB);
      await daemon.close();
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures('concurrent tasks', result, figures);
    }
  });
});
