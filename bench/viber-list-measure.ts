import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PAGE_LIMITS, type ViberView } from '../src/protocol/index.ts';
import { REPO_ROOT } from '../test/support/processes.ts';
import { RestClient } from '../test/support/rest-client.ts';
import { makeTempDir } from '../test/support/temp-dirs.ts';
import { type BenchChild, startBenchChild } from './bench-child.ts';
import type { BenchRow } from './bench-row.ts';
import { median, round } from './stats.ts';

/**
 * `GET /api/vibers` with 10,000 vibers registered: one page (the first, and one after a cursor
 * half way down) on a real gateway process, beside a plain node:http server that answers the same
 * 10,000 rows from memory as one JSON list, as the route did before it paged. The vibers are
 * registered through `POST /api/vibers`, as an operator would, several at a time. Times are
 * measured at the client, request to last byte, median of SAMPLES after WARMUP.
 */

const VIBERS = 10_000;
const REGISTER_CONCURRENCY = 32;
const SAMPLES = 20;
const WARMUP = 3;

interface Timed {
  ms: number;
  bytes: number;
  body: string;
}

async function timedGet(url: string, headers: Record<string, string> = {}): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(url, { headers });
  const body = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 200)}`);
  return { ms, bytes: Buffer.byteLength(body), body };
}

/** Median time and the body's size of `SAMPLES` requests, after `WARMUP` unmeasured ones. */
async function sample(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ms: number; bytes: number }> {
  for (let index = 0; index < WARMUP; index++) await timedGet(url, headers);
  const runs: Timed[] = [];
  for (let index = 0; index < SAMPLES; index++) runs.push(await timedGet(url, headers));
  return { ms: round(median(runs.map((run) => run.ms))), bytes: runs[0]!.bytes };
}

async function registerMany(rest: RestClient, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await rest.registerViber(`bench-viber-${String(index).padStart(5, '0')}`);
    }
  };
  await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, worker));
  return performance.now() - started;
}

/** The bare baseline: the same rows, from memory, as one JSON list, serialized per request. */
async function bareListServer(vibers: readonly ViberView[]): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    const body = JSON.stringify({ vibers });
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** Every page of the list, following nextCursor at `limit` rows a page. */
async function walk(
  base: string,
  headers: Record<string, string>,
  limit: number,
): Promise<{ ms: number; bytes: number; pages: number; vibers: ViberView[] }> {
  const vibers: ViberView[] = [];
  let cursor: string | null = null;
  let ms = 0;
  let bytes = 0;
  let pages = 0;
  do {
    const page = await timedGet(
      `${base}/api/vibers?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      headers,
    );
    const parsed = JSON.parse(page.body) as { vibers: ViberView[]; nextCursor: string | null };
    vibers.push(...parsed.vibers);
    cursor = parsed.nextCursor;
    ms += page.ms;
    bytes += page.bytes;
    pages += 1;
  } while (cursor !== null);
  return { ms, bytes, pages, vibers };
}

const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;

export async function measureViberList(vibers = VIBERS): Promise<BenchRow[]> {
  const token = `ovo_bench_${randomBytes(12).toString('hex')}`;
  let child: BenchChild | undefined;
  let bare: Server | undefined;
  try {
    child = await startBenchChild(join(REPO_ROOT, 'bench/gateway-child.ts'), {
      OPENVIBER_HOME: makeTempDir('bench-viber-list'),
      OPENVIBER_OPERATOR_TOKEN: token,
    });
    const rest = new RestClient(child.url, token);
    const registerMs = await registerMany(rest, vibers);
    const headers = { authorization: `Bearer ${token}` };

    // Every page at the most rows a page may hold: the cost of reading the whole list now.
    const whole = await walk(child.url, headers, PAGE_LIMITS.max);
    if (whole.vibers.length !== vibers) {
      throw new Error(`the gateway listed ${whole.vibers.length} vibers, not ${vibers}`);
    }
    // A cursor half way down: the page after it should cost what the first does.
    const halfCursor = await cursorAfter(child.url, headers, Math.floor(vibers / 2));

    const firstPage = await sample(`${child.url}/api/vibers`, headers);
    const cursorPage = await sample(`${child.url}/api/vibers?cursor=${halfCursor}`, headers);
    const server = await bareListServer(whole.vibers);
    bare = server.server;
    const bareList = await sample(server.url);

    return [
      {
        figure: `\`GET /api/vibers\`, ${vibers.toLocaleString('en')} registered: one page`,
        unit: 'ms',
        bare: bareList.ms,
        openviber: firstPage.ms,
        goal: '< 10 ms for a page, with a cursor',
        note:
          `a page of ${PAGE_LIMITS.default}: ${kb(firstPage.bytes)}; after a cursor half way down ${cursorPage.ms} ms; ` +
          `bare: the full list of ${vibers.toLocaleString('en')} from memory, ${kb(bareList.bytes)}; ` +
          `reading every page (${whole.pages} of ${PAGE_LIMITS.max}): ${round(whole.ms, 1)} ms, ${kb(whole.bytes)}; ` +
          `median of ${SAMPLES}; ${vibers.toLocaleString('en')} registered through POST /api/vibers in ${round(registerMs / 1000, 1)} s`,
      },
    ];
  } finally {
    bare?.close();
    child?.kill();
  }
}

/** The cursor after the first `count` vibers, read a page of the most rows at a time. */
async function cursorAfter(base: string, headers: Record<string, string>, count: number): Promise<string> {
  let cursor: string | null = null;
  for (let read = 0; read < count; read += PAGE_LIMITS.max) {
    const limit = Math.min(PAGE_LIMITS.max, count - read);
    const page = await timedGet(
      `${base}/api/vibers?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      headers,
    );
    cursor = (JSON.parse(page.body) as { nextCursor: string | null }).nextCursor;
    if (cursor === null) throw new Error(`the list ended before ${count} vibers`);
  }
  return cursor!;
}
