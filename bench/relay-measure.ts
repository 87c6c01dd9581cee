import { performance } from 'node:perf_hooks';
import type { ChunkPipe } from './chunk-pipes.ts';
import { type LatencySummary, round, summarize } from './stats.ts';

/** Latency and throughput of a chunk pipe, each bounded in count and time. */

/** One chunk at a time (the next leaves when the previous arrived): latency without queueing. */
export async function measureLatency(
  pipe: ChunkPipe,
  options: { warmup: number; count: number; firstSeq: number; timeoutMs: number },
): Promise<LatencySummary> {
  const latencies: number[] = [];
  let waiting: ((latency: number) => void) | undefined;
  pipe.onReceive((_seq, latency) => waiting?.(latency));
  const deadline = Date.now() + options.timeoutMs;
  let seq = options.firstSeq;
  for (let index = 0; index < options.warmup + options.count && Date.now() < deadline; index++) {
    const latency = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chunk ${seq} not received within 10 s`)), 10_000);
      waiting = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      pipe.send(seq++);
    });
    if (index >= options.warmup) latencies.push(latency);
  }
  return summarize(latencies);
}

export interface ThroughputResult {
  chunksPerSecond: number;
  chunks: number;
  elapsedMs: number;
}

/** `count` chunks sent as fast as the sender can; the clock stops when the last one arrived. */
export async function measureThroughput(
  pipe: ChunkPipe,
  options: { count: number; firstSeq: number; timeoutMs: number },
): Promise<ThroughputResult> {
  let received = 0;
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`${received} of ${options.count} chunks received within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    pipe.onReceive(() => {
      received++;
      if (received === options.count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const started = performance.now();
  for (let index = 0; index < options.count; index++) {
    pipe.send(options.firstSeq + index);
    // Yield now and then so the receiving side of this process keeps reading.
    if (index % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
  }
  await all;
  const elapsedMs = performance.now() - started;
  return {
    chunksPerSecond: round((options.count / elapsedMs) * 1000, 1),
    chunks: options.count,
    elapsedMs: round(elapsedMs, 1),
  };
}
