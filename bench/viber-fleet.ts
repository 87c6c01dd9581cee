import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { FakeDaemon } from '../test/support/fake-daemon.ts';
import { REPO_ROOT } from '../test/support/processes.ts';
import { RestClient } from '../test/support/rest-client.ts';
import { makeTempDir } from '../test/support/temp-dirs.ts';
import { type BenchChild, type Probe, startBenchChild } from './bench-child.ts';
import { round } from './stats.ts';

/**
 * Many connected vibers: the server's live heap per connection after a full collection, and its
 * CPU per connect and per heartbeat. The gateway's vibers are registered first and then connect
 * as OpenViber's daemon does (signed handshake, `connected`, `welcome`); the bare relay's are
 * plain WebSockets whose frames it parses and drops.
 */

export interface FleetResult {
  vibers: number;
  heapBytesPerViber: number;
  cpuMicrosPerConnect: number;
  cpuMicrosPerHeartbeat: number;
}

const HEARTBEAT = JSON.stringify({
  type: 'heartbeat',
  status: { state: 'idle', runningTasks: 0, uptimeSeconds: 60 },
});

interface Fleet {
  child: BenchChild;
  /**
   * Readies `count` more vibers (registered and keyed, for the gateway: not part of a connect's
   * cost) and returns what connects them, which resolves to their sockets.
   */
  prepare(count: number): Promise<() => Promise<WebSocket[]>>;
  close(): void;
}

export async function gatewayFleet(count: number, execArgv: string[] = []): Promise<FleetResult> {
  const token = `ovo_bench_${randomBytes(12).toString('hex')}`;
  const child = await startBenchChild(
    join(REPO_ROOT, 'bench/gateway-child.ts'),
    { OPENVIBER_HOME: makeTempDir('bench-fleet'), OPENVIBER_OPERATOR_TOKEN: token },
    execArgv,
  );
  const rest = new RestClient(child.url, token);
  const wsUrl = `${child.url.replace(/^http/, 'ws')}/ws`;
  const daemons: FakeDaemon[] = [];
  return measureFleet(
    {
      child,
      async prepare(size) {
        const registered = await inGroups(size, 50, (index) => rest.registerViber(`bench-${index}`));
        const identities = await inGroups(size, 200, () => FakeDaemon.newIdentity());
        return async () => {
          const connected = await inGroups(size, 50, (index) =>
            FakeDaemon.connect(wsUrl, {
              viberId: registered[index]!.id,
              token: registered[index]!.token,
              identity: identities[index]!,
              name: `bench-${index}`,
              timeoutMs: 60_000,
            }),
          );
          for (const daemon of connected) daemon.received.length = 0;
          daemons.push(...connected);
          return connected.map((daemon) => daemon.socket);
        };
      },
      close() {
        for (const daemon of daemons) daemon.socket.terminate();
        child.kill();
      },
    },
    count,
  );
}

export async function bareFleet(count: number): Promise<FleetResult> {
  const child = await startBenchChild(join(REPO_ROOT, 'bench/bare-relay.ts'));
  const sockets: WebSocket[] = [];
  const url = `${child.url.replace(/^http/, 'ws')}/ws`;
  return measureFleet(
    {
      child,
      async prepare(size) {
        return async () => {
          const opened = await inGroups(size, 50, () => openSocket(url));
          sockets.push(...opened);
          return opened;
        };
      },
      close() {
        for (const socket of sockets) socket.terminate();
        child.kill();
      },
    },
    count,
  );
}

async function measureFleet(fleet: Fleet, count: number): Promise<FleetResult> {
  try {
    // A few first, so one-time costs (modules, buffers, statements) are in the baseline.
    await (await fleet.prepare(20))();
    const connect = await fleet.prepare(count);
    const before = await settled(fleet.child);
    if (process.env.OPENVIBER_BENCH_HEAP_SNAPSHOTS)
      await fleet.child.probe({
        collect: true,
        heapSnapshot: `${process.env.OPENVIBER_BENCH_HEAP_SNAPSHOTS}/before.heapsnapshot`,
      });
    const sockets = await connect();
    const connected = await settled(fleet.child);
    if (process.env.OPENVIBER_BENCH_HEAP_SNAPSHOTS)
      await fleet.child.probe({
        collect: true,
        heapSnapshot: `${process.env.OPENVIBER_BENCH_HEAP_SNAPSHOTS}/after.heapsnapshot`,
      });
    // What the server spends with nobody talking (timers, sweeps), taken off the heartbeat phase.
    const idle = await idleMicrosPerMs(fleet.child);
    const beatStarted = performance.now();
    for (const socket of sockets) socket.send(HEARTBEAT);
    const beat = await settled(fleet.child);
    const beatCpu =
      beat.probe.cpuMicros - idle.after.cpuMicros - idle.rate * (performance.now() - beatStarted);
    // CPU deltas start after the previous phase's collection, so no collection is counted.
    return {
      vibers: count,
      heapBytesPerViber: round((connected.memory.heapUsedBytes - before.memory.heapUsedBytes) / count, 0),
      cpuMicrosPerConnect: round((connected.probe.cpuMicros - before.memory.cpuMicros) / count, 1),
      cpuMicrosPerHeartbeat: round(Math.max(0, beatCpu) / count, 1),
    };
  } finally {
    fleet.close();
  }
}

/** The server's CPU per ms of wall time over one quiet second, and the probe that ended it. */
async function idleMicrosPerMs(child: BenchChild): Promise<{ rate: number; after: Probe }> {
  const first = await child.probe();
  const started = performance.now();
  await sleep(1_000);
  const after = await child.probe();
  return { rate: (after.cpuMicros - first.cpuMicros) / (performance.now() - started), after };
}

/**
 * Waits until the server is idle (under 2 ms of CPU in 100 ms) and returns that probe, so a phase
 * is measured with all of its work done; `memory` is a probe after a full collection.
 */
async function settled(child: BenchChild): Promise<{ probe: Probe; memory: Probe }> {
  let last = await child.probe();
  for (let round = 0; round < 300; round++) {
    await sleep(100);
    const next = await child.probe();
    const idle = next.cpuMicros - last.cpuMicros < 2_000;
    last = next;
    if (idle) break;
  }
  return { probe: last, memory: await child.probe({ collect: true }) };
}

async function inGroups<T>(count: number, size: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  for (let start = 0; start < count; start += size) {
    const group = Array.from({ length: Math.min(size, count - start) }, (_, offset) => make(start + offset));
    made.push(...(await Promise.all(group)));
  }
  return made;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}
