import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createClient } from 'redis';
import { startPostgresServer } from '../test/support/postgres-server.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { round, summarize } from './stats.ts';

/**
 * Which transport for the gateways' bus (docs/decisions.md, "A networked bus on Redis pub/sub"):
 * Redis pub/sub, Redis Streams (XADD, XREAD BLOCK) and PostgreSQL LISTEN/NOTIFY, each between two
 * processes' own connections, on throwaway local servers. Latency is a round trip (this process
 * sends, the other sends it back on a second line), one message at a time; throughput is a burst
 * of messages sent back to back (at most 1,000 unanswered), timed until the other process says it
 * has them all. Messages are the size of the bus's hint (about 120 bytes) and of a task's state
 * change (about 1 KB).
 *
 *   npx node bench/bus-choice.ts [--pings 2000] [--messages 20000]
 *
 * The other process is this file again: `--echo <transport> <url>`.
 */

interface Link {
  send(line: string, text: string): Promise<unknown>;
  listen(line: string, handler: (text: string) => void): Promise<void>;
  close(): Promise<void>;
}

type Transport = (url: string) => Promise<Link>;

const PREFIX = 'bench:';

async function redisPubSub(url: string): Promise<Link> {
  const publisher = createClient({ url });
  const subscriber = publisher.duplicate();
  await Promise.all([publisher.connect(), subscriber.connect()]);
  return {
    send: (line, text) => publisher.publish(PREFIX + line, text),
    listen: (line, handler) => subscriber.subscribe(PREFIX + line, handler),
    close: async () => {
      await Promise.all([publisher.close(), subscriber.close()]);
    },
  };
}

async function redisStreams(url: string): Promise<Link> {
  const writer = createClient({ url });
  await writer.connect();
  const readers: Array<typeof writer> = [];
  let closed = false;
  return {
    send: (line, text) => writer.xAdd(PREFIX + line, '*', { m: text }),
    async listen(line, handler) {
      // A blocking read holds its connection: one per line, as a gateway would hold one per reader.
      const reader = writer.duplicate();
      await reader.connect();
      readers.push(reader);
      let last = '$';
      void (async () => {
        while (!closed) {
          const reply = (await reader
            .xRead({ key: PREFIX + line, id: last }, { BLOCK: 500, COUNT: 1000 })
            .catch(() => null)) as Array<{
            messages: Array<{ id: string; message: Record<string, string> }>;
          }> | null;
          for (const stream of reply ?? []) {
            for (const entry of stream.messages) {
              last = entry.id;
              handler(entry.message.m ?? '');
            }
          }
        }
      })();
    },
    async close() {
      closed = true;
      await new Promise((resolve) => setTimeout(resolve, 600));
      await Promise.all([writer.close(), ...readers.map((reader) => reader.close())]);
    },
  };
}

async function postgresNotify(url: string): Promise<Link> {
  const notifier = new pg.Client({ connectionString: url });
  const listener = new pg.Client({ connectionString: url });
  await Promise.all([notifier.connect(), listener.connect()]);
  const handlers = new Map<string, (text: string) => void>();
  listener.on('notification', (message) => handlers.get(message.channel)?.(message.payload ?? ''));
  // One query at a time on a connection (node-postgres does not pipeline): sends are chained.
  let last: Promise<unknown> = Promise.resolve();
  return {
    send: (line, text) => {
      last = last.then(() => notifier.query('SELECT pg_notify($1, $2)', [line, text]));
      return last;
    },
    async listen(line, handler) {
      handlers.set(line, handler);
      await listener.query(`LISTEN ${pg.escapeIdentifier(line)}`);
    },
    close: async () => {
      await Promise.all([notifier.end(), listener.end()]);
    },
  };
}

const TRANSPORTS: Record<string, Transport> = {
  'Redis pub/sub': redisPubSub,
  'Redis Streams': redisStreams,
  'PostgreSQL LISTEN/NOTIFY': postgresNotify,
};

/** The other process: sends back each `L` message, counts `T` messages and says when it has all. */
async function echo(name: string, url: string): Promise<void> {
  const link = await TRANSPORTS[name]!(url);
  let counted = 0;
  await link.listen('ping', (text) => {
    if (text.startsWith('L')) {
      void link.send('pong', text);
      return;
    }
    counted += 1;
    const expected = Number(text.slice(1, text.indexOf('/')));
    if (counted === expected) {
      counted = 0;
      void link.send('pong', 'done');
    }
  });
  process.stdout.write('ready\n');
  process.stdin.resume();
  await once(process.stdin, 'end');
  await link.close();
}

interface Row {
  transport: string;
  bytes: number;
  p50: number;
  p99: number;
  perSecond: number;
}

async function measure(
  name: string,
  url: string,
  bytes: number,
  pings: number,
  messages: number,
): Promise<Row> {
  console.error(`${name}, ${bytes} B ...`);
  const child = spawn(process.execPath, [import.meta.filename, '--echo', name, url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  if (first !== 'ready') throw new Error(`the echo process said ${first}`);
  const link = await TRANSPORTS[name]!(url);
  let answer: ((text: string) => void) | undefined;
  await link.listen('pong', (text) => answer?.(text));
  const pad = (text: string) => text + ' '.repeat(Math.max(0, bytes - text.length));
  const roundTrip = async (text: string) => {
    const back = new Promise<string>((resolve) => (answer = resolve));
    await link.send('ping', text);
    return back;
  };
  for (let i = 0; i < 200; i++) await roundTrip(pad(`Lwarm${i}`));
  const latencies: number[] = [];
  for (let i = 0; i < pings; i++) {
    const started = performance.now();
    await roundTrip(pad(`L${i}`));
    latencies.push(performance.now() - started);
  }
  const done = new Promise<void>((resolve) => (answer = (text) => text === 'done' && resolve()));
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < messages; i++) {
    const sent = link.send('ping', pad(`T${messages}/${i}`));
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    if (inFlight.size >= 1000) await Promise.race(inFlight);
  }
  await done;
  const elapsed = performance.now() - started;
  child.stdin.end();
  await once(child, 'exit');
  await link.close();
  const summary = summarize(latencies);
  return {
    transport: name,
    bytes,
    p50: summary.p50,
    p99: summary.p99,
    perSecond: round((messages * 1000) / elapsed, 0),
  };
}

function table(rows: Row[]): string {
  return [
    '| transport | message | round trip p50 | round trip p99 | messages/s (one way) |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.transport} | ${row.bytes} B | ${row.p50.toFixed(3)} ms | ${row.p99.toFixed(3)} ms | ${row.perSecond.toLocaleString('en-US')} |`,
    ),
  ].join('\n');
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--echo') return echo(process.argv[3]!, process.argv[4]!);
  const pings = option('--pings', 2000);
  const messages = option('--messages', 20000);
  const redis = await startRedisServer();
  const postgres = await startPostgresServer().catch((error: unknown) => {
    console.error(`PostgreSQL not measured: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  const rows: Row[] = [];
  try {
    for (const bytes of [120, 1024]) {
      rows.push(await measure('Redis pub/sub', redis.url, bytes, pings, messages));
      rows.push(await measure('Redis Streams', redis.url, bytes, pings, messages));
      if (postgres) {
        rows.push(
          await measure('PostgreSQL LISTEN/NOTIFY', postgres.url('postgres'), bytes, pings, messages),
        );
      }
    }
  } finally {
    await redis.dispose();
    await postgres?.stop();
  }
  console.log(`${pings} round trips and ${messages} messages per row; ${new Date().toISOString()}\n`);
  console.log(table(rows));
}

await main();
