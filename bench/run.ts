import { cpus } from 'node:os';
import { join } from 'node:path';
import { FakeDaemon } from '../test/support/fake-daemon.ts';
import { REPO_ROOT, spawnNode, stopAllProcesses } from '../test/support/processes.ts';
import { removeTempDirs } from '../test/support/temp-dirs.ts';
import { spawnGateway } from '../test/support/viber-stack.ts';
import { type ChunkPipe, directPipe, gatewayPipe } from './chunk-pipes.ts';
import { measureMemoryPerViber } from './memory-per-viber.ts';
import { measureLatency, measureThroughput } from './relay-measure.ts';
import { measureTerminals } from './terminal-measure.ts';

/**
 * `npm run bench`: prints JSON with the relay latency (p50, p99) and throughput from a daemon's
 * chunk to an SSE client beside a direct WebSocket hop measured in the same run, and the gateway's
 * memory per connected viber. Loopback only; every phase is bounded in count and time.
 */

const LATENCY_WARMUP = 100;
const LATENCY_CHUNKS = Number(process.env.OPENVIBER_BENCH_LATENCY_CHUNKS ?? 1000);
const THROUGHPUT_CHUNKS = Number(process.env.OPENVIBER_BENCH_THROUGHPUT_CHUNKS ?? 5000);
const VIBERS = Number(process.env.OPENVIBER_BENCH_VIBERS ?? 1000);
const OVERALL_LIMIT_MS = 300_000;

async function measurePipe(makePipe: () => Promise<ChunkPipe>) {
  const latencyPipe = await makePipe();
  const latency = await measureLatency(latencyPipe, {
    warmup: LATENCY_WARMUP,
    count: LATENCY_CHUNKS,
    firstSeq: 2,
    timeoutMs: 60_000,
  });
  await latencyPipe.close();
  const throughputPipe = await makePipe();
  const throughput = await measureThroughput(throughputPipe, {
    count: THROUGHPUT_CHUNKS,
    firstSeq: 2,
    timeoutMs: 60_000,
  });
  await throughputPipe.close();
  return { latency, throughput };
}

async function measureDirect() {
  const relay = spawnNode([join(REPO_ROOT, 'bench/ws-relay-server.ts')], { name: 'bench-ws-relay' });
  const url = (await relay.waitForLine(/listening on (ws:\/\/\S+)/))[1]!;
  try {
    return await measurePipe(() => directPipe(url));
  } finally {
    await relay.kill('SIGKILL');
  }
}

async function measureGateway() {
  const gateway = await spawnGateway({ name: 'bench-gateway', env: { OPENVIBER_LOG_LEVEL: 'warn' } });
  const registered = await gateway.rest.registerViber('bench-daemon');
  const daemon = await FakeDaemon.connect(gateway.wsUrl, {
    viberId: registered.id,
    token: registered.token,
    name: 'bench-daemon',
  });
  const heartbeat = setInterval(
    () => daemon.send({ type: 'heartbeat', status: { state: 'busy', runningTasks: 1, uptimeSeconds: 1 } }),
    5_000,
  );
  try {
    return await measurePipe(() => gatewayPipe({ daemon, rest: gateway.rest, viberId: registered.id }));
  } finally {
    clearInterval(heartbeat);
    daemon.socket.terminate();
    await gateway.process.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const limit = setTimeout(() => {
    process.stderr.write(`bench: gave up after ${OVERALL_LIMIT_MS} ms\n`);
    void stopAllProcesses().finally(() => process.exit(1));
  }, OVERALL_LIMIT_MS);
  try {
    const direct = await measureDirect();
    const viaGateway = await measureGateway();
    const memory = await measureMemoryPerViber(VIBERS);
    const terminals = await measureTerminals({
      catBytes: Number(process.env.OPENVIBER_BENCH_CAT_BYTES ?? 32 * 1024 * 1024),
      keystrokes: Number(process.env.OPENVIBER_BENCH_KEYSTROKES ?? 300),
      timeoutMs: 120_000,
    });
    const report = {
      relayLatencyMs: {
        description: 'daemon task:stream-chunk frame -> SSE client, one chunk in flight at a time',
        gatewayToSse: viaGateway.latency,
        directWebSocketHop: direct.latency,
      },
      relayThroughputChunksPerSecond: {
        description: `${THROUGHPUT_CHUNKS} chunks sent back to back; time until the last one arrived`,
        gatewayToSse: viaGateway.throughput.chunksPerSecond,
        directWebSocketHop: direct.throughput.chunksPerSecond,
        details: { gatewayToSse: viaGateway.throughput, directWebSocketHop: direct.throughput },
      },
      gatewayMemoryPerViber: {
        description:
          'raw WebSocket vibers with real tokens sending `connected`; gateway process memory after a GC',
        ...memory,
        rssKiBPerViber: Math.round((memory.rssBytesPerViber / 1024) * 10) / 10,
        heapKiBPerViber: Math.round((memory.heapBytesPerViber / 1024) * 10) / 10,
      },
      terminalThroughput: terminals.throughput,
      terminalKeystrokeEchoMs: terminals.keystrokeEchoMs,
      environment: {
        node: process.version,
        platform: process.platform,
        cpus: cpus().length,
        transport: 'loopback 127.0.0.1',
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    clearTimeout(limit);
    await stopAllProcesses();
    removeTempDirs();
  }
}

await main();
