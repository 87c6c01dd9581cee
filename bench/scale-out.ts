import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceIdentity } from '../src/client/index.ts';
import type { GatewayMessage, RegisterViberResponse } from '../src/protocol/index.ts';
import { FakeDaemon } from '../test/support/fake-daemon.ts';
import { startPostgresServer } from '../test/support/postgres-server.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { makeTempDir, removeTempDir } from '../test/support/temp-dirs.ts';
import type { BenchChild, Probe } from './bench-child.ts';
import { burst, paced } from './relay-measure.ts';
import { chunkFrame, type RelayTarget } from './relay-targets.ts';
import { type GatewayProcess, killAllGateways, startGatewayProcess } from './scale-gateway.ts';
import { SimDaemon } from './sim-daemon.ts';
import { SseReader } from './sse-reader.ts';
import { type LatencySummary, percentile, round } from './stats.ts';

/**
 * `npm run bench -- scale` (docs/performance.md, "Scale-out"): three `viber gateway --store
 * postgres://... --bus redis://...` processes on a throwaway PostgreSQL and Redis on this machine,
 * beside one embedded gateway (`viber gateway`, node:sqlite and the in-process bus) measured the
 * same way in the same run:
 *
 * - relay: a simulated daemon on gateway A streams `task:stream-chunk` frames; the task was created
 *   on B and its SSE stream is read on C (on the embedded gateway, all three are the one);
 * - tasks: `POST /api/tasks` from 32 clients at once, spread over the gateways, for connected
 *   vibers spread over them too; created/s, delivered/s (the daemon got its `task:submit`);
 * - fleet: many simulated vibers connected, spread over the gateways; the gateways' live heap and
 *   RSS per viber, and how many `GET /api/vibers` on C says are online;
 * - recovery: gateway A (holding a third of the fleet) SIGKILLed; its daemons, given all three URLs,
 *   move on after the daemon's backoff; the time until every one is online again on C (connected
 *   after the kill) and until a task created on B right after the kill for one of them runs. The
 *   embedded gateway is SIGKILLed and started again on the same port and home instead.
 */

export interface ScaleSizes {
  vibers: number;
  burstChunks: number;
  pacedSeconds: number;
  tasks: number;
  taskVibers: number;
}

export const SCALE_FULL: ScaleSizes = {
  vibers: 1_000,
  burstChunks: 5_000,
  pacedSeconds: 3,
  tasks: 1_000,
  taskVibers: 60,
};
export const SCALE_SHORT: ScaleSizes = {
  vibers: 60,
  burstChunks: 500,
  pacedSeconds: 0.5,
  tasks: 60,
  taskVibers: 12,
};

const PACED_RATE = 2_000;
const PACED_WARMUP = 400;
/** About what one model streams: tokens a second. */
const SLOW_RATE = 100;
const SLOW_WARMUP = 20;
const CREATE_CONCURRENCY = 32;
const LIMIT_MS = 120_000;

export interface ScaleRow {
  figure: string;
  unit: string;
  embedded: number | null;
  threeGateways: number | null;
  note?: string;
}

interface SetupFigures {
  relay: {
    eventsPerSecond: number;
    cpuMicrosPerChunk: number;
    /** Paced at PACED_RATE, read on C; the same read on A (the daemon's gateway); paced at SLOW_RATE on C. */
    onC: LatencySummary;
    onA: LatencySummary;
    slowOnC: LatencySummary;
  };
  tasks: { created: number; delivered: number; p50: number; p99: number; count: number };
  fleet: {
    vibers: number;
    online: number;
    connectSeconds: number;
    heapPerViberKB: number;
    rssPerViberKB: number;
    rssMB: number;
  };
  recovery: { vibers: number; reconnectedMs: number; onlineMs: number; taskRunsMs: number };
}

interface Setup {
  name: string;
  gateways: GatewayProcess[];
  /** What the killed gateway is replaced by: nothing (the others serve) or itself, restarted. */
  afterKill(victim: GatewayProcess): Promise<GatewayProcess | undefined>;
}

export async function measureScaleOut(
  sizes: ScaleSizes,
  progress: (step: string) => void,
): Promise<{ rows: ScaleRow[]; figures: Record<string, SetupFigures> }> {
  const token = `ovo_bench_${randomBytes(12).toString('hex')}`;
  const masterKey = randomBytes(32).toString('base64');
  const homes: string[] = [];
  const home = (label: string) => {
    const dir = makeTempDir(label);
    homes.push(dir);
    return dir;
  };
  let postgres: Awaited<ReturnType<typeof startPostgresServer>> | undefined;
  let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  try {
    progress('scale: one embedded gateway');
    const one = await startGatewayProcess({
      name: 'embedded',
      home: home('bench-scale-one'),
      token,
      masterKey,
    });
    const embedded = await measureSetup(
      {
        name: 'embedded',
        gateways: [one],
        afterKill: (victim) =>
          startGatewayProcess({
            name: 'embedded-restarted',
            home: victim.home,
            port: victim.port,
            token,
            masterKey,
          }),
      },
      sizes,
      progress,
    );
    await killAllGateways();

    progress('scale: PostgreSQL, Redis and three gateways');
    postgres = await startPostgresServer();
    redis = await startRedisServer();
    const store = await postgres.createDatabase();
    const args = ['--store', store, '--bus', redis.url];
    const gateways: GatewayProcess[] = [];
    // One after the other: each finds the schema the first one migrated.
    for (const name of ['gateway-a', 'gateway-b', 'gateway-c']) {
      gateways.push(
        await startGatewayProcess({ name, home: home(`bench-scale-${name}`), token, masterKey, args }),
      );
    }
    const three = await measureSetup(
      { name: 'three', gateways, afterKill: async () => undefined },
      sizes,
      progress,
    );
    return { rows: scaleRows(sizes, embedded, three), figures: { embedded, three } };
  } finally {
    await killAllGateways();
    await redis?.dispose().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
    for (const dir of homes) removeTempDir(dir);
  }
}

async function measureSetup(
  setup: Setup,
  sizes: ScaleSizes,
  progress: (step: string) => void,
): Promise<SetupFigures> {
  const gateways = setup.gateways;
  const [a, b, c] = [gateways[0]!, gateways[1 % gateways.length]!, gateways[2 % gateways.length]!];
  const daemons: SimDaemon[] = [];
  try {
    progress(`scale ${setup.name}: relay, daemon on ${a.name}, task created on ${b.name}, read on ${c.name}`);
    const relay = await relayFigures(gateways, sizes);

    progress(`scale ${setup.name}: ${sizes.vibers} vibers over ${gateways.length} gateway(s)`);
    const fleet = await connectFleet(gateways, sizes.vibers, daemons);

    progress(`scale ${setup.name}: ${sizes.tasks} tasks created over ${gateways.length} gateway(s)`);
    const tasks = await taskFigures(gateways, daemons.slice(0, sizes.taskVibers), sizes.tasks);

    progress(`scale ${setup.name}: ${a.name} SIGKILLed`);
    const recovery = await recoveryFigures(setup, daemons);
    return { relay, fleet, tasks, recovery };
  } finally {
    for (const daemon of daemons) daemon.stop();
  }
}

/** A child whose probe is the sum of every gateway's: the CPU of all of them per chunk. */
function allOf(gateways: GatewayProcess[]): BenchChild {
  return {
    url: gateways[0]!.url,
    pid: gateways[0]!.pid,
    async probe(options) {
      const probes = await Promise.all(gateways.map((gateway) => gateway.probe(options)));
      return probes.reduce<Probe>(
        (sum, next) => ({
          cpuMicros: sum.cpuMicros + next.cpuMicros,
          rssBytes: sum.rssBytes + next.rssBytes,
          heapUsedBytes: sum.heapUsedBytes + next.heapUsedBytes,
        }),
        { cpuMicros: 0, rssBytes: 0, heapUsedBytes: 0 },
      );
    },
    kill() {},
  };
}

async function relayFigures(gateways: GatewayProcess[], sizes: ScaleSizes): Promise<SetupFigures['relay']> {
  const [a, b, c] = [gateways[0]!, gateways[1 % gateways.length]!, gateways[2 % gateways.length]!];
  let readOn = c;
  const registered = await a.rest.registerViber('bench-relay');
  const daemon = await FakeDaemon.connect(a.wsUrl, {
    viberId: registered.id,
    token: registered.token,
    name: 'bench-relay',
  });
  const target: RelayTarget = {
    child: allOf(gateways),
    async openStream(count) {
      const task = await b.rest.createTask({ goal: 'scale-out relay benchmark', viberId: registered.id });
      const submit = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:submit' }>>(
        (message) => message.type === 'task:submit' && message.taskId === task.id,
        { timeoutMs: 30_000 },
      );
      daemon.send({ type: 'command:ack', commandId: submit.commandId });
      daemon.send({ type: 'task:started', taskId: task.id, seq: 1, spaceId: '' });
      const headers = { Authorization: `Bearer ${readOn.rest.token}`, 'Last-Event-ID': '1' };
      const url = `${readOn.url}/api/tasks/${task.id}/stream`;
      const readers = await Promise.all(Array.from({ length: count }, () => SseReader.open(url, headers)));
      let last = 1;
      return {
        readers,
        send(seq) {
          last = seq;
          daemon.send(chunkFrame(task.id, seq));
        },
        async end() {
          daemon.send({ type: 'task:completed', taskId: task.id, seq: last + 1, result: { text: '' } });
          for (const reader of readers) reader.close();
          daemon.received.length = 0;
        },
      };
    },
    close() {
      daemon.socket.terminate();
    },
  };
  try {
    const one = await burst(target, 1, sizes.burstChunks);
    const pace = { readers: 1, rate: PACED_RATE, seconds: sizes.pacedSeconds, warmup: PACED_WARMUP };
    const onC = await paced(target, pace);
    readOn = a;
    const onA = await paced(target, pace);
    readOn = c;
    const slowOnC = await paced(target, {
      readers: 1,
      rate: SLOW_RATE,
      seconds: sizes.pacedSeconds,
      warmup: SLOW_WARMUP,
    });
    return {
      eventsPerSecond: one.eventsPerSecond,
      cpuMicrosPerChunk: one.cpuMicrosPerChunk,
      onC,
      onA,
      slowOnC,
    };
  } finally {
    target.close();
  }
}

/**
 * Registers `count` vibers (through the gateway each will connect to) and connects them, 50 at a
 * time, each to its own gateway first with the others after it in its list: the memory the
 * gateways hold for them after a full collection, and what `GET /api/vibers` on the last says.
 */
async function connectFleet(
  gateways: GatewayProcess[],
  count: number,
  daemons: SimDaemon[],
): Promise<SetupFigures['fleet']> {
  const k = gateways.length;
  const registered = await inGroups(count, 32, (index) =>
    gateways[index % k]!.rest.registerViber(`fleet-${index}`),
  );
  const identities = await inGroups(count, 100, () => FakeDaemon.newIdentity());
  const all = allOf(gateways);
  const before = await settled(all);
  const started = performance.now();
  const made = await inGroups(count, 50, async (index) => {
    const daemon = simDaemon(gateways, index, registered[index]!, identities[index]!);
    await daemon.start();
    return daemon;
  });
  daemons.push(...made);
  const connectSeconds = (performance.now() - started) / 1000;
  const after = await settled(all);
  const seen = await gateways[k - 1]!.rest.listVibers();
  const ids = new Set(made.map((daemon) => daemon.options.viberId));
  const online = seen.filter((viber) => ids.has(viber.id) && viber.presence !== 'offline').length;
  return {
    vibers: count,
    online,
    connectSeconds: round(connectSeconds, 2),
    heapPerViberKB: round((after.heapUsedBytes - before.heapUsedBytes) / count / 1000, 2),
    rssPerViberKB: round((after.rssBytes - before.rssBytes) / count / 1000, 2),
    rssMB: round(after.rssBytes / 1e6, 1),
  };
}

/** Viber `index` connects to gateway `index % k` first, then to the others, alternating their order. */
function simDaemon(
  gateways: GatewayProcess[],
  index: number,
  registered: RegisterViberResponse,
  identity: DeviceIdentity,
): SimDaemon {
  const k = gateways.length;
  const home = index % k;
  const others = gateways.map((_, offset) => gateways[(home + offset) % k]!.wsUrl).slice(1);
  if (Math.floor(index / k) % 2 === 1) others.reverse();
  return new SimDaemon({
    urls: [gateways[home]!.wsUrl, ...others],
    viberId: registered.id,
    token: registered.token,
    identity,
    name: `fleet-${index}`,
  });
}

/**
 * `count` tasks created by CREATE_CONCURRENCY clients at once, task i on gateway i % k for viber
 * i % vibers (so most tasks are created on a gateway other than their viber's): POSTs answered
 * per second, and tasks the daemons got (`task:submit`) per second, from the first POST.
 */
async function taskFigures(
  gateways: GatewayProcess[],
  vibers: SimDaemon[],
  count: number,
): Promise<SetupFigures['tasks']> {
  const k = gateways.length;
  const submitted = new Map<string, number>();
  for (const daemon of vibers) {
    daemon.onSubmit = (taskId, at) => {
      if (!submitted.has(taskId)) submitted.set(taskId, at);
    };
  }
  // Warm: one task through each gateway first, so first-use costs are not counted.
  for (let index = 0; index < k; index++) {
    await gateways[index]!.rest.createTask({ goal: 'warm up', viberId: vibers[index]!.options.viberId });
  }
  await sleep(500);
  const posted = new Map<string, number>();
  const started = performance.now();
  let next = 0;
  let lastAnswer = started;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const at = performance.now();
      const task = await gateways[index % k]!.rest.createTask({
        goal: `scale-out task ${index}`,
        viberId: vibers[index % vibers.length]!.options.viberId,
      });
      posted.set(task.id, at);
      lastAnswer = performance.now();
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  const deadline = performance.now() + LIMIT_MS;
  while ([...posted.keys()].some((id) => !submitted.has(id))) {
    if (performance.now() > deadline) {
      const missing = [...posted.keys()].filter((id) => !submitted.has(id)).length;
      throw new Error(`${missing} of ${count} tasks never reached their daemon`);
    }
    await sleep(5);
  }
  const delivered = [...posted.entries()].map(([id, at]) => submitted.get(id)! - at).sort((x, y) => x - y);
  const lastDelivered = Math.max(...[...posted.keys()].map((id) => submitted.get(id)!));
  for (const daemon of vibers) daemon.onSubmit = undefined;
  return {
    count,
    created: round((count * 1000) / (lastAnswer - started), 0),
    delivered: round((count * 1000) / (lastDelivered - started), 0),
    p50: round(percentile(delivered, 50), 1),
    p99: round(percentile(delivered, 99), 1),
  };
}

/**
 * SIGKILLs the first gateway and times its daemons back: every one connected again (as the
 * daemons see it), every one online with a connection made after the kill (as `GET /api/vibers`
 * on the last gateway sees it), and a task created right after the kill (on the second gateway)
 * for one of them running.
 */
async function recoveryFigures(setup: Setup, daemons: SimDaemon[]): Promise<SetupFigures['recovery']> {
  const victim = setup.gateways[0]!;
  const moving = daemons.filter((daemon) => daemon.url === victim.wsUrl);
  const probe = moving[0];
  if (!probe) throw new Error(`no viber is connected to ${victim.name}`);
  probe.holdTasks = true;
  const ids = new Set(moving.map((daemon) => daemon.options.viberId));
  const killedAt = Date.now();
  const started = performance.now();
  await victim.sigkill();
  const replacement = await setup.afterKill(victim);
  const survivors = replacement ? [replacement] : setup.gateways.slice(1);
  const creator = survivors[0]!;
  const observer = survivors[survivors.length - 1]!;
  const task = await creator.rest.createTask({ goal: 'after the kill', viberId: probe.options.viberId });
  let reconnectedMs = 0;
  let onlineMs = 0;
  let taskRunsMs = 0;
  const deadline = started + LIMIT_MS;
  while (!reconnectedMs || !onlineMs || !taskRunsMs) {
    if (performance.now() > deadline) {
      const back = moving.filter((daemon) => daemon.connections > 1 && daemon.online).length;
      throw new Error(
        `after ${LIMIT_MS} ms: ${back} of ${moving.length} daemons back, online ${onlineMs}, task ${taskRunsMs}`,
      );
    }
    if (!reconnectedMs && moving.every((daemon) => daemon.connections > 1 && daemon.online)) {
      reconnectedMs = Math.max(...moving.map((daemon) => daemon.connectedAt)) - started;
    }
    if (!taskRunsMs) {
      const status = (await creator.rest.getTask(task.id)).task.status;
      if (status !== 'pending') taskRunsMs = performance.now() - started;
    }
    if (!onlineMs) {
      const seen = await observer.rest.listVibers();
      const back = seen.filter(
        (viber) =>
          ids.has(viber.id) &&
          viber.presence !== 'offline' &&
          viber.connectedAt !== null &&
          Date.parse(viber.connectedAt) >= killedAt,
      ).length;
      if (back === ids.size) onlineMs = performance.now() - started;
    }
    await sleep(20);
  }
  return {
    vibers: moving.length,
    reconnectedMs: round(reconnectedMs, 0),
    onlineMs: round(onlineMs, 0),
    taskRunsMs: round(taskRunsMs, 0),
  };
}

/** Waits until the gateways are idle (under 3 ms of CPU in 200 ms), then probes after a collection. */
async function settled(child: BenchChild): Promise<Probe> {
  let last = await child.probe();
  for (let turn = 0; turn < 150; turn++) {
    await sleep(200);
    const next = await child.probe();
    const idle = next.cpuMicros - last.cpuMicros < 3_000;
    last = next;
    if (idle) break;
  }
  return child.probe({ collect: true });
}

async function inGroups<T>(count: number, size: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  for (let start = 0; start < count; start += size) {
    const group = Array.from({ length: Math.min(size, count - start) }, (_, offset) => make(start + offset));
    made.push(...(await Promise.all(group)));
  }
  return made;
}

function scaleRows(sizes: ScaleSizes, one: SetupFigures, three: SetupFigures): ScaleRow[] {
  const vibers = sizes.vibers.toLocaleString('en-US');
  return [
    {
      figure: 'relay, one stream, burst: daemon on A, read on C',
      unit: 'events/s',
      embedded: one.relay.eventsPerSecond,
      threeGateways: three.relay.eventsPerSecond,
      note: `${sizes.burstChunks} chunks; every one stored (SQLite / PostgreSQL) before it is read`,
    },
    {
      figure: 'relay, gateway CPU per chunk (all gateways)',
      unit: 'µs',
      embedded: one.relay.cpuMicrosPerChunk,
      threeGateways: three.relay.cpuMicrosPerChunk,
      note: 'the gateway processes only; PostgreSQL and Redis not counted',
    },
    {
      figure: `relay, paced ${PACED_RATE.toLocaleString('en-US')} chunks/s, read on C, send to receipt p50`,
      unit: 'ms',
      embedded: one.relay.onC.p50,
      threeGateways: three.relay.onC.p50,
      note: `${three.relay.onC.samples} samples after ${PACED_WARMUP}; p99 on the next line`,
    },
    {
      figure: `relay, paced ${PACED_RATE.toLocaleString('en-US')} chunks/s, read on C, p99`,
      unit: 'ms',
      embedded: one.relay.onC.p99,
      threeGateways: three.relay.onC.p99,
    },
    {
      figure: `relay, paced ${PACED_RATE.toLocaleString('en-US')} chunks/s, read on A (the daemon's gateway), p50`,
      unit: 'ms',
      embedded: one.relay.onA.p50,
      threeGateways: three.relay.onA.p50,
      note: `p99 ${one.relay.onA.p99} / ${three.relay.onA.p99} ms; embedded: the same gateway again`,
    },
    {
      figure: `relay, paced ${SLOW_RATE} chunks/s (one model's pace), read on C, p50`,
      unit: 'ms',
      embedded: one.relay.slowOnC.p50,
      threeGateways: three.relay.slowOnC.p50,
      note: `p99 ${one.relay.slowOnC.p99} / ${three.relay.slowOnC.p99} ms; ${three.relay.slowOnC.samples} samples`,
    },
    {
      figure: 'tasks created (`POST /api/tasks` answered)',
      unit: 'tasks/s',
      embedded: one.tasks.created,
      threeGateways: three.tasks.created,
      note: `${sizes.tasks} tasks from ${CREATE_CONCURRENCY} clients, spread over the gateways, for ${sizes.taskVibers} connected vibers`,
    },
    {
      figure: 'tasks delivered (the daemon got `task:submit`)',
      unit: 'tasks/s',
      embedded: one.tasks.delivered,
      threeGateways: three.tasks.delivered,
      note: `POST to task:submit p50 ${one.tasks.p50} / ${three.tasks.p50} ms`,
    },
    {
      figure: 'POST to `task:submit`, p99',
      unit: 'ms',
      embedded: one.tasks.p99,
      threeGateways: three.tasks.p99,
    },
    {
      figure: `vibers connected and seen online (\`GET /api/vibers\` on C), of ${vibers}`,
      unit: 'vibers',
      embedded: one.fleet.online,
      threeGateways: three.fleet.online,
      note: `connected 50 at a time in ${one.fleet.connectSeconds} / ${three.fleet.connectSeconds} s`,
    },
    {
      figure: `live heap per connected viber, ${vibers} vibers (all gateways)`,
      unit: 'KB',
      embedded: one.fleet.heapPerViberKB,
      threeGateways: three.fleet.heapPerViberKB,
      note: 'after a full collection in each gateway',
    },
    {
      figure: `RSS of the gateway processes with ${vibers} vibers`,
      unit: 'MB',
      embedded: one.fleet.rssMB,
      threeGateways: three.fleet.rssMB,
      note: `growth while connecting ${one.fleet.rssPerViberKB} / ${three.fleet.rssPerViberKB} KB per viber (RSS moves with the allocator: the heap row is the one to compare)`,
    },
    {
      figure: 'gateway SIGKILLed: its daemons all connected again',
      unit: 'ms',
      embedded: one.recovery.reconnectedMs,
      threeGateways: three.recovery.reconnectedMs,
      note: `${one.recovery.vibers} / ${three.recovery.vibers} vibers; embedded: the gateway started again on its port; three: the next URL after the daemon's backoff (250-500 ms)`,
    },
    {
      figure: 'gateway SIGKILLed: all of them online again on a survivor',
      unit: 'ms',
      embedded: one.recovery.onlineMs,
      threeGateways: three.recovery.onlineMs,
      note: '`GET /api/vibers`: online with a connection made after the kill',
    },
    {
      figure: 'gateway SIGKILLed: a task created right after runs',
      unit: 'ms',
      embedded: one.recovery.taskRunsMs,
      threeGateways: three.recovery.taskRunsMs,
      note: 'created on a survivor for a viber of the killed gateway; until its status is running',
    },
  ];
}

export function scaleTable(rows: readonly ScaleRow[]): string {
  return [
    '| figure | embedded | three gateways | note |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.figure} | ${figure(row.embedded, row.unit)} | ${figure(row.threeGateways, row.unit)} | ${row.note ?? ''} |`,
    ),
  ].join('\n');
}

function figure(value: number | null, unit: string): string {
  if (value === null) return '';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`;
}
