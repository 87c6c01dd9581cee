import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FakeDaemon } from '../test/support/fake-daemon.ts';
import { cleanEnv, REPO_ROOT } from '../test/support/processes.ts';
import { RestClient } from '../test/support/rest-client.ts';
import { makeTempDir } from '../test/support/temp-dirs.ts';
import { median, round } from './stats.ts';

/**
 * Gateway memory per connected viber: N raw WebSocket vibers with real tokens (POST /api/vibers)
 * each send `connected`; the gateway process's memory is read before and after, after a GC.
 */

interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  collected: boolean;
}

export interface MemoryResult {
  vibers: number;
  connectMs: number;
  before: { rssBytes: number; heapUsedBytes: number };
  after: { rssBytes: number; heapUsedBytes: number };
  rssBytesPerViber: number;
  heapBytesPerViber: number;
  onlineReportedByGateway: number;
}

function startChild(): Promise<{ child: ChildProcess; url: string; token: string }> {
  const token = `ovo_bench_${randomBytes(12).toString('hex')}`;
  const child = spawn(process.execPath, ['--expose-gc', join(REPO_ROOT, 'bench/gateway-child.ts')], {
    env: cleanEnv({
      OPENVIBER_HOME: makeTempDir('bench-memory'),
      OPENVIBER_OPERATOR_TOKEN: token,
      OPENVIBER_LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`gateway child did not start: ${stderr.slice(-2000)}`)),
      30_000,
    );
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, token });
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway child exited ${code}: ${stderr.slice(-2000)}`)));
  });
}

function sample(child: ChildProcess): Promise<MemorySample> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no memory answer from the gateway child')), 10_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as MemorySample);
    });
    child.send('memory');
  });
}

async function settledSample(child: ChildProcess): Promise<MemorySample> {
  const samples: MemorySample[] = [];
  for (let index = 0; index < 5; index++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    samples.push(await sample(child));
  }
  return {
    rss: median(samples.map((s) => s.rss)),
    heapUsed: median(samples.map((s) => s.heapUsed)),
    external: median(samples.map((s) => s.external)),
    collected: samples.every((s) => s.collected),
  };
}

async function connectMany(
  rest: RestClient,
  wsUrl: string,
  count: number,
  batch: number,
): Promise<FakeDaemon[]> {
  const vibers: FakeDaemon[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const group = await Promise.all(
      Array.from({ length: size }, async (_, index) => {
        const registered = await rest.registerViber(`bench-${start + index}`);
        return FakeDaemon.connect(wsUrl, {
          viberId: registered.id,
          token: registered.token,
          name: `bench-${start + index}`,
          timeoutMs: 30_000,
        });
      }),
    );
    vibers.push(...group);
  }
  return vibers;
}

export async function measureMemoryPerViber(count: number): Promise<MemoryResult> {
  const { child, url, token } = await startChild();
  const rest = new RestClient(url, token);
  const wsUrl = `${url.replace(/^http/, 'ws')}/ws`;
  const clients: FakeDaemon[] = [];
  try {
    // A few connections first, so one-time costs (modules, buffers, statements) are in the baseline.
    clients.push(...(await connectMany(rest, wsUrl, 20, 20)));
    const before = await settledSample(child);
    const started = Date.now();
    clients.push(...(await connectMany(rest, wsUrl, count, 50)));
    const connectMs = Date.now() - started;
    const after = await settledSample(child);
    const online = (await rest.listVibers()).filter((viber) => viber.presence !== 'offline').length;
    return {
      vibers: count,
      connectMs,
      before: { rssBytes: before.rss, heapUsedBytes: before.heapUsed },
      after: { rssBytes: after.rss, heapUsedBytes: after.heapUsed },
      rssBytesPerViber: round((after.rss - before.rss) / count, 0),
      heapBytesPerViber: round((after.heapUsed - before.heapUsed) / count, 0),
      onlineReportedByGateway: online,
    };
  } finally {
    for (const client of clients) client.socket.terminate();
    child.kill('SIGKILL');
  }
}
