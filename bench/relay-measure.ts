import { setTimeout as sleep } from 'node:timers/promises';
import type { RelayStream, RelayTarget } from './relay-targets.ts';
import { round, summarize } from './stats.ts';

/** The stream figures of one relay: a burst (events/s, CPU per chunk) and a paced stream's tail. */

export interface BurstResult {
  eventsPerSecond: number;
  /** The relay process's CPU per chunk delivered to one reader, in µs. */
  cpuMicrosPerChunk: number;
  elapsedMs: number;
}

/** `count` chunks sent back to back; the clock stops when every reader has every one. */
export async function burst(target: RelayTarget, readers: number, count: number): Promise<BurstResult> {
  const stream = await target.openStream(readers);
  const before = await target.child.probe();
  const started = performance.now();
  for (let seq = 2; seq < count + 2; seq++) {
    stream.send(seq);
    // Yield now and then so the readers in this process keep reading.
    if (seq % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await allReceived(stream, count, 120_000);
  const elapsedMs = performance.now() - started;
  const after = await target.child.probe();
  await stream.end();
  return {
    eventsPerSecond: round((readers * count * 1000) / elapsedMs, 0),
    cpuMicrosPerChunk: round((after.cpuMicros - before.cpuMicros) / count, 2),
    elapsedMs: round(elapsedMs, 1),
  };
}

/**
 * `rate` chunks a second for `seconds`, as a model streams tokens; latency from send to each
 * reader, the first `warmup` chunks left out.
 */
export async function paced(
  target: RelayTarget,
  options: { readers: number; rate: number; seconds: number; warmup: number },
) {
  const stream = await target.openStream(options.readers);
  const latencies: number[] = [];
  for (const reader of stream.readers) {
    reader.onLatency = (ms) => {
      if (reader.events > options.warmup) latencies.push(ms);
    };
  }
  const total = options.warmup + Math.round(options.rate * options.seconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * options.rate) / 1000));
    while (sent < due) stream.send(2 + sent++);
    await sleep(1);
  }
  await allReceived(stream, total, 60_000);
  await stream.end();
  return summarize(latencies);
}

async function allReceived(stream: RelayStream, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (stream.readers.some((reader) => reader.events < count)) {
    if (performance.now() > deadline) {
      const got = stream.readers.map((reader) => reader.events).join(', ');
      throw new Error(`readers got ${got} of ${count} events within ${timeoutMs} ms`);
    }
    await sleep(1);
  }
}
