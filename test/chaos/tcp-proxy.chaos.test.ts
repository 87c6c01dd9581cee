import { describe, expect, it } from 'vitest';
import { onCleanup, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnDaemon, spawnGateway } from '../support/viber-stack.ts';
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
import { TcpProxy } from './tcp-proxy.ts';

// Issue 12, item 4: a TCP proxy between the daemon and the gateway delays, drops, cuts a frame in
// the middle and blackholes (stops forwarding without closing, longer than the daemon's
// dead-connection timeout of 10 s) while tasks stream. Every task completes with the stream of an
// uninterrupted run.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;
const ROUNDS = chaosSize('PROXY_ROUNDS', 1, 3);
/** Longer than the daemon's dead-connection timeout (max(3 heartbeats, 10 s)). */
const BLACKHOLE_MS = 12_000;

type Fault = 'delay' | 'drop' | 'cut' | 'blackhole';
const FAULTS: Fault[] = ['delay', 'drop', 'cut', 'blackhole'];

describe('TCP proxy faults between daemon and gateway', () => {
  it(`completes every task with an equal stream through ${ROUNDS} round(s) of ${FAULTS.join(', ')}`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = {};
    let result = 'FAIL';
    try {
      const model = await startStreamingModel(20);
      const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: 120_000 });
      const proxy = await TcpProxy.start(gateway.port);
      onCleanup(() => proxy.close());
      const viber = await gateway.rest.registerViber('proxied');
      const daemon = await spawnDaemon({
        serverUrl: `ws://127.0.0.1:${proxy.port}/ws`,
        viberId: viber.id,
        token: viber.token,
        modelBaseURL: model.baseURL,
        name: 'proxied',
      });
      const reference = await referenceRun(gateway, viber.id);

      const comparisons: StreamComparison[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const fault of FAULTS) {
          const task = await gateway.rest.createTask({
            goal: `Recite the words (${fault}, round ${round})`,
            viberId: viber.id,
          });
          const reader = await gateway.follow(task.id);
          await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= 5, {
            timeoutMs: 60_000,
            description: `five text deltas before the ${fault}`,
          });
          if (fault === 'delay') {
            proxy.delayMs = 250;
            proxy.mode = 'delay';
            await sleep(2_000);
            proxy.mode = 'pass';
          } else if (fault === 'drop') {
            for (let drop = 0; drop < 2; drop++) {
              const connectionsBefore = daemon.connections;
              await sleep(randomBetween(0, 500));
              proxy.drop();
              await daemon.waitForConnection(connectionsBefore + 1, 60_000);
            }
          } else if (fault === 'cut') {
            for (let cut = 0; cut < 2; cut++) {
              const connectionsBefore = daemon.connections;
              proxy.cutMidFrame();
              await daemon.waitForConnection(connectionsBefore + 1, 60_000);
            }
          } else {
            const connectionsBefore = daemon.connections;
            proxy.mode = 'blackhole';
            await sleep(BLACKHOLE_MS);
            proxy.mode = 'pass';
            await daemon.waitForConnection(connectionsBefore + 1, 60_000);
          }
          await withTimeout(reader.finished, 120_000, `the stream to end after the ${fault}`);
          const detail = await gateway.rest.getTask(task.id);
          expect(detail.task.status, detail.task.error ?? '').toBe('completed');
          const comparison = compareStream(reader, reference);
          expect(comparison, fault).toEqual({
            compared: reference.length,
            lost: 0,
            duplicated: 0,
            mismatched: 0,
          });
          comparisons.push(comparison);
        }
      }
      const sum = sumComparisons(comparisons);
      Object.assign(figures, {
        tasks: comparisons.length,
        'proxy connections': proxy.accepted,
        drops: proxy.drops,
        cuts: proxy.cuts,
        'blackhole ms': BLACKHOLE_MS,
        'chunks compared': sum.compared,
        lost: sum.lost,
        duplicated: sum.duplicated,
        mismatched: sum.mismatched,
      });
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures('TCP proxy: delay, drop, cut mid-frame, blackhole', result, figures);
    }
  });
});
