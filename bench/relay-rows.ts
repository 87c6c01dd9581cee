import type { BenchRow } from './bench-row.ts';
import { burst, paced } from './relay-measure.ts';
import { bareRelay, gatewayRelay, type RelayTarget } from './relay-targets.ts';
import { round } from './stats.ts';
import { bareFleet, gatewayFleet } from './viber-fleet.ts';

/** The stream and fleet rows of the table, each relay measured the same way in the same run. */

export interface RelaySizes {
  burstChunks: number;
  tenReaderChunks: number;
  pacedSeconds: number;
  vibers: number;
}

export const FULL_SIZES: RelaySizes = {
  burstChunks: 20_000,
  tenReaderChunks: 10_000,
  pacedSeconds: 3,
  vibers: 10_000,
};
export const SHORT_SIZES: RelaySizes = {
  burstChunks: 2_000,
  tenReaderChunks: 500,
  pacedSeconds: 0.5,
  vibers: 200,
};

async function streamFigures(target: RelayTarget, sizes: RelaySizes) {
  try {
    const one = await burst(target, 1, sizes.burstChunks);
    const ten = await burst(target, 10, sizes.tenReaderChunks);
    const pace = { rate: 2_000, seconds: sizes.pacedSeconds, warmup: 400 };
    const pacedOne = await paced(target, { readers: 1, ...pace });
    const pacedTen = await paced(target, { readers: 10, ...pace });
    return { one, ten, pacedOne, pacedTen };
  } finally {
    target.close();
  }
}

export async function measureRelayRows(
  sizes: RelaySizes,
  progress: (step: string) => void,
): Promise<BenchRow[]> {
  progress('stream: bare relay');
  const bare = await streamFigures(await bareRelay(), sizes);
  progress('stream: gateway');
  const ov = await streamFigures(await gatewayRelay(), sizes);
  progress(`fleet: ${sizes.vibers} bare WebSockets`);
  const bareVibers = await bareFleet(sizes.vibers);
  progress(`fleet: ${sizes.vibers} vibers on the gateway`);
  const vibers = await gatewayFleet(sizes.vibers);
  const count = sizes.vibers.toLocaleString('en-US');
  return [
    {
      figure: 'one stream, burst, events/s',
      unit: 'events/s',
      bare: bare.one.eventsPerSecond,
      openviber: ov.one.eventsPerSecond,
      goal: '>= 1.2x bare, every event durable',
      note: `${sizes.burstChunks} chunks`,
    },
    {
      figure: 'ten readers on one stream, burst, aggregate events/s',
      unit: 'events/s',
      bare: bare.ten.eventsPerSecond,
      openviber: ov.ten.eventsPerSecond,
      goal: '>= 0.9x bare',
    },
    {
      figure: 'paced 2,000 chunks/s, one reader, p99',
      unit: 'ms',
      bare: bare.pacedOne.p99,
      openviber: ov.pacedOne.p99,
      goal: '<= bare + 0.1 ms',
      note: `p50 ${ov.pacedOne.p50} ms, bare p50 ${bare.pacedOne.p50} ms`,
    },
    {
      figure: 'paced 2,000 chunks/s, ten readers, p99',
      unit: 'ms',
      bare: bare.pacedTen.p99,
      openviber: ov.pacedTen.p99,
      goal: '<= bare + 0.2 ms',
      note: `p50 ${ov.pacedTen.p50} ms, bare p50 ${bare.pacedTen.p50} ms`,
    },
    {
      figure: 'server CPU per delivered chunk, burst, one reader',
      unit: 'µs',
      bare: bare.one.cpuMicrosPerChunk,
      openviber: ov.one.cpuMicrosPerChunk,
      goal: '<= 8 µs',
    },
    {
      figure: `live heap per connected viber, ${count} vibers`,
      unit: 'KB',
      bare: round(bareVibers.heapBytesPerViber / 1000, 2),
      openviber: round(vibers.heapBytesPerViber / 1000, 2),
      goal: '<= 3.5 KB',
    },
    {
      figure: 'CPU per connect',
      unit: 'µs',
      bare: bareVibers.cpuMicrosPerConnect,
      openviber: vibers.cpuMicrosPerConnect,
      goal: '<= 150 µs',
      note: 'signed handshake, `connected`, `welcome`',
    },
    {
      figure: 'CPU per heartbeat',
      unit: 'µs',
      bare: bareVibers.cpuMicrosPerHeartbeat,
      openviber: vibers.cpuMicrosPerHeartbeat,
      goal: '<= 50 µs',
    },
  ];
}
