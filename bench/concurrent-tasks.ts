import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DAEMON_NODE_FLAGS } from '../src/cli/daemon-process.ts';
import { createGatewayClient, readSse } from '../src/client/index.ts';
import { startOpenAITestServer } from '../test/support/openai-test-server.ts';
import { removeTempDir } from '../test/support/temp-dirs.ts';
import {
  type DaemonHandle,
  type GatewayHandle,
  spawnGateway,
  spawnViberFor,
} from '../test/support/viber-stack.ts';
import type { BenchRow } from './bench-row.ts';
import { percentile, round } from './stats.ts';

/**
 * Many tasks at once on one real daemon: a real gateway and a real `viber start` process, the
 * daemon's model pointed at the local OpenAI-compatible test server. `tasks` tasks are created
 * through REST at the same moment; each one's SSE stream is read from the gateway, and the time
 * from the task's POST to its first `text-delta` at the reader is recorded. The daemon's resident
 * memory is polled (/proc/<pid>/status) while they run; its peak is the figure.
 */

const DEFAULT_TASKS = 200;
/** What the model takes before its first token (a fast hosted model answers in tens of ms). */
const FIRST_TOKEN_DELAY_MS = 20;
/** Between the answer's later tokens: the tasks stay running together while they stream. */
const TOKEN_DELAY_MS = 25;
const ANSWER =
  'The answer is short: the tests pass, the build is green, and nothing else needs doing on this machine today.';
const RSS_POLL_MS = 25;
const LIMIT_MS = 180_000;

interface TaskTiming {
  firstTextMs: number | undefined;
  error?: string;
}

export async function measureConcurrentTasks(options: { tasks?: number } = {}): Promise<BenchRow[]> {
  const count = options.tasks ?? DEFAULT_TASKS;
  const model = await startOpenAITestServer({
    script: () => ({
      type: 'text',
      text: ANSWER,
      beforeChunk: (index) => delay(index === 0 ? FIRST_TOKEN_DELAY_MS : TOKEN_DELAY_MS),
    }),
  });
  let gateway: GatewayHandle | undefined;
  let daemon: DaemonHandle | undefined;
  try {
    gateway = await spawnGateway({ name: 'bench-tasks-gateway' });
    // Started with the Node flags `viber up` gives its daemon.
    daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'bench-tasks',
      env: { NODE_OPTIONS: DAEMON_NODE_FLAGS.join(' ') },
    });
    const { pid } = daemon.process;
    const { viberId } = daemon;
    const client = createGatewayClient({ baseUrl: gateway.url, token: gateway.operatorToken });
    // One task first, so the daemon's one-time costs (modules, the provider, the first sqlite
    // statements) are not counted as the cost of concurrency.
    const warm = await runTask(client, viberId, performance.now(), 'warm up');
    if (warm.error || warm.firstTextMs === undefined) {
      throw new Error(`the warm-up task failed: ${warm.error ?? 'no text'}`);
    }
    const idleRss = vmRssKb(pid);
    let peakRss = idleRss;
    const poll = setInterval(() => {
      peakRss = Math.max(peakRss, vmRssKb(pid));
    }, RSS_POLL_MS);
    let timings: TaskTiming[];
    try {
      const started = performance.now();
      timings = await withLimit(
        Promise.all(
          Array.from({ length: count }, (_, index) =>
            runTask(client, viberId, started, `concurrent task ${index}`),
          ),
        ),
        LIMIT_MS,
      );
    } finally {
      clearInterval(poll);
    }
    peakRss = Math.max(peakRss, vmRssKb(pid));
    const failed = timings.filter((timing) => timing.error || timing.firstTextMs === undefined);
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} of ${count} tasks gave no text: ${failed[0]?.error ?? 'the stream ended without text'}`,
      );
    }
    const latencies = timings.map((timing) => timing.firstTextMs!).sort((a, b) => a - b);
    const p50 = round(percentile(latencies, 50), 1);
    const p99 = round(percentile(latencies, 99), 1);
    const peakMb = round(peakRss / 1024, 1);
    return [
      {
        figure: `${count} concurrent tasks on one daemon: p99 time to first text`,
        unit: 'ms',
        bare: null,
        openviber: p99,
        goal: '< 500 ms',
        note: `p50 ${p50} ms; max ${round(latencies.at(-1)!, 1)} ms; from each task's POST /api/tasks to its first text-delta on its SSE stream; model first token after ${FIRST_TOKEN_DELAY_MS} ms`,
      },
      {
        figure: `daemon memory with ${count} running tasks`,
        unit: 'MB',
        bare: null,
        openviber: peakMb,
        goal: '< 150 MB',
        note: `peak RSS of the daemon process (idle after one task: ${round(idleRss / 1024, 1)} MB)`,
      },
    ];
  } finally {
    // Only what this measurement started: the table's other phases keep theirs.
    for (const started of [daemon, gateway]) {
      if (!started) continue;
      await started.process.kill('SIGKILL');
      removeTempDir(started.home);
    }
    await model.close();
  }
}

/**
 * Creates one task and reads its stream to the end: the time from the POST to the first
 * text-delta, measured from `origin` (the moment every task of the burst was asked for).
 */
async function runTask(
  client: ReturnType<typeof createGatewayClient>,
  viberId: string,
  origin: number,
  goal: string,
): Promise<TaskTiming> {
  const timing: TaskTiming = { firstTextMs: undefined };
  try {
    const task = await client.call('tasks.create', { body: { goal, viberId } });
    const response = await client.open('tasks.stream', { params: { id: task.id } });
    for await (const event of readSse(response, { route: 'tasks.stream', idleMs: () => 60_000 })) {
      if (event.data === '[DONE]') break;
      if (timing.firstTextMs === undefined && event.data.includes('"text-delta"')) {
        const chunk = JSON.parse(event.data) as { type?: string };
        if (chunk.type === 'text-delta') timing.firstTextMs = performance.now() - origin;
      }
      if (/^\{"type":"error"/.test(event.data)) timing.error = event.data.slice(0, 300);
    }
  } catch (error) {
    timing.error = error instanceof Error ? error.message : String(error);
  }
  return timing;
}

/** Resident set size of a process in KiB (0 once it is gone). */
function vmRssKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withLimit<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the tasks did not all end within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}
