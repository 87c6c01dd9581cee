import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenAITestServer } from '../test/support/openai-test-server.ts';
import { REPO_ROOT, spawnNode } from '../test/support/processes.ts';
import { spawnGateway, spawnViberFor } from '../test/support/viber-stack.ts';
import type { BenchRow } from './bench-row.ts';
import { median, round, summarize } from './stats.ts';

/**
 * An opened port (docs/ports.md) against the same service reached directly, on a real gateway and
 * daemon (processes) and a service started in the viber's workspace:
 * - throughput: one large answer read to its end, through the link and straight from the service,
 *   interleaved `rounds` times; the medians are reported (the machine's load moves both together);
 * - round trip: small GETs one after another, through the link and straight.
 */
export interface PortsBenchOptions {
  answerBytes: number;
  requests: number;
  rounds: number;
}

const SERVICE = join(REPO_ROOT, 'test/support/port-service.mjs');

export async function measurePortRows(options: PortsBenchOptions): Promise<BenchRow[]> {
  const model = await startOpenAITestServer({ script: [] });
  try {
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'bench-ports' });
    const cwd = join(daemon.home, 'workspace', 'bench-site');
    mkdirSync(cwd, { recursive: true });
    const service = spawnNode([SERVICE], { name: 'port-service', cwd });
    const [, port] = await service.waitForLine(/port-service http=(\d+)/);
    const opened = await gateway.rest.client.call('ports.open', {
      params: { id: daemon.viberId, port: Number(port) },
      body: {},
    });
    const direct = `http://127.0.0.1:${port}/`;
    const proxied = opened.url;

    const through: number[] = [];
    const straight: number[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      straight.push(await readRate(`${direct}big?bytes=${options.answerBytes}`, options.answerBytes));
      through.push(await readRate(`${proxied}big?bytes=${options.answerBytes}`, options.answerBytes));
    }
    const directTimes = await roundTrips(direct, options.requests);
    const proxiedTimes = await roundTrips(proxied, options.requests);
    const mb = (bytesPerSecond: number) => round(bytesPerSecond / 1e6, 1);
    const size = `${round(options.answerBytes / (1024 * 1024), 1)} MiB`;
    const direct50 = summarize(directTimes);
    const proxied50 = summarize(proxiedTimes);
    return [
      {
        figure: `ports: a ${size} answer through an opened link`,
        unit: 'MB/s',
        bare: mb(median(straight)),
        openviber: mb(median(through)),
        goal: '>= 50 MB/s',
        note: `bare: the service read directly; median of ${options.rounds}`,
      },
      {
        figure: 'ports: a small GET through an opened link, p50',
        unit: 'ms',
        bare: round(direct50.p50, 2),
        openviber: round(proxied50.p50, 2),
        goal: '< 5 ms',
        note: `p99 ${round(proxied50.p99, 2)} ms (direct ${round(direct50.p99, 2)} ms); ${options.requests} requests`,
      },
    ];
  } finally {
    await model.close();
  }
}

/** Bytes per second of one GET read to its end (the whole answer, counted). */
async function readRate(url: string, expected: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  let received = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) received += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  if (received !== expected) throw new Error(`${url}: ${received} bytes of ${expected}`);
  return received / seconds;
}

/** Milliseconds of each of `count` GETs of the service's page, one after another. */
async function roundTrips(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  return times;
}
