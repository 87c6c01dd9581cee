import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BOARD_SESSION_COOKIE, type ListedPort, type ViberView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { REPO_ROOT, spawnNode } from '../support/processes.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { type GatewayHandle, spawnDaemon } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Ports across gateways (docs/ports.md, "Several gateways"): three gateway processes on one real
// PostgreSQL and one real Redis, a daemon on A, a real web service in the viber's workspace (and
// in an environment's local path). Through B it is listed, opened and fetched (bodies streamed
// both ways, a WebSocket echo); nothing secret crosses the bus; the viber leaving mid-request and
// A dying mid-request are each a clear 503 on B, and B goes on serving once the viber is on C.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;
const SERVICE = join(REPO_ROOT, 'test/support/port-service.mjs');
const SLOW_LINE = /port-service slow request/;

interface ErrorBody {
  error: { message: string };
}

async function signInCookie(gateway: GatewayHandle): Promise<string> {
  const minted = await gateway.rest.client.call('loginCodes.create');
  const response = await fetch(`${gateway.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: gateway.url },
    body: JSON.stringify({ code: minted.code }),
  });
  expect(response.status).toBe(201);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** A WebSocket through the link, open. */
async function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}ws`);
  onCleanup(() => socket.terminate());
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** Every message on the gateways' inboxes, as Redis carries it. */
async function spyOnInboxes(redisUrl: string): Promise<string[]> {
  const seen: string[] = [];
  const spy = createClient({ url: redisUrl });
  await spy.connect();
  onCleanup(async () => {
    spy.destroy();
  });
  await spy.pSubscribe('openviber:gateway/*', (message) => seen.push(message));
  return seen;
}

describe('ports across gateways', { timeout: 240_000 }, () => {
  it('a service on a viber behind A is listed, opened and proxied through B', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'unused' }) });
    const gateways = await threeGateways(HEARTBEAT_MS);
    const [a, b, c] = gateways;
    const inboxes = await spyOnInboxes(gateways.redis.url);
    const viber = await a!.rest.registerViber('ports-viber');
    const daemonOptions = {
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'ports-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    };
    const daemon = await spawnDaemon({ ...daemonOptions, serverUrl: a!.wsUrl });
    expect(daemon.process.stdout).toContain(`connected to ${a!.wsUrl}`);
    await waitFor(async () => ((await b!.rest.getViber(viber.id)) as ViberView).presence !== 'offline', {
      description: 'the viber online on B',
    });

    // An environment whose local path is in the viber's workspace, bound on B (prepared through A).
    const site = join(daemon.home, 'workspace', 'site');
    mkdirSync(site, { recursive: true });
    const client = b!.rest.client;
    const environment = await client.call('environments.create', {
      body: { name: 'site', type: 'local', localPath: site },
    });
    await client.call('environments.bindings.create', {
      params: { id: environment.id },
      body: { viberId: viber.id },
    });
    await waitFor(
      async () =>
        (await client.call('environments.get', { params: { id: environment.id } })).bindings[0]?.status ===
        'ready',
      { timeoutMs: 60_000, description: 'the binding ready' },
    );
    const service = spawnNode([SERVICE], { name: 'port-service', cwd: site });
    const [, httpText] = await service.waitForLine(/port-service http=(\d+)/);
    const http = Number(httpText);

    // Listed through B, with its process, for the viber and for the environment.
    const listed = await client.call('ports.list', { params: { id: viber.id } });
    expect(listed.ports.find((port: ListedPort) => port.port === http)).toMatchObject({
      pid: service.pid,
      environmentId: environment.id,
      answers: true,
      httpStatus: 200,
    });
    const inEnvironment = await client.call('ports.environmentList', { params: { id: environment.id } });
    expect(inEnvironment.vibers).toHaveLength(1);
    expect(inEnvironment.vibers[0]).toMatchObject({ viberId: viber.id, viberName: 'ports-viber' });
    expect(inEnvironment.vibers[0]?.problem).toBeUndefined();
    expect(inEnvironment.vibers[0]?.ports.map((port: ListedPort) => port.port)).toContain(http);

    // Opened on B; its page through B.
    const opened = await client.call('ports.open', { params: { id: viber.id, port: http }, body: {} });
    expect(opened.url).toBe(`${b!.url}${opened.path}`);
    const url = opened.url;
    const token = opened.path.split('/')[4]!;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Hello from a service on the viber');

    // The service sees no credential of the gateway's.
    const cookie = await signInCookie(b!);
    expect(cookie.startsWith(`${BOARD_SESSION_COOKIE}=`)).toBe(true);
    const seen = await fetch(`${url}headers?x=1`, {
      headers: { cookie: `${cookie}; theme=dark`, authorization: `Bearer ${b!.operatorToken}` },
    });
    const { url: servicePath, headers } = (await seen.json()) as {
      url: string;
      headers: Record<string, string>;
    };
    expect(servicePath).toBe('/headers?x=1');
    expect(headers.host).toBe(`localhost:${http}`);
    expect(headers.cookie).toBe('theme=dark');
    expect(headers.authorization).toBeUndefined();

    // A POST body of 3 MiB through B's window and A, echoed back whole.
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'xyz');
    const echoed = await fetch(`${url}echo`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-test' },
    });
    expect(echoed.status).toBe(201);
    expect(echoed.headers.get('x-body-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(Buffer.from(await echoed.arrayBuffer()).equals(body)).toBe(true);

    // A streamed answer in its pieces, and a 5 MiB one whole (five windows of credit from B).
    const streamed = await fetch(`${url}stream`);
    expect(await streamed.text()).toBe('chunk-1\nchunk-2\nchunk-3\nchunk-4\nchunk-5\nend\n');
    const big = await fetch(`${url}big?bytes=${5 * 1024 * 1024}`);
    expect(big.headers.get('content-length')).toBe(String(5 * 1024 * 1024));
    expect((await big.arrayBuffer()).byteLength).toBe(5 * 1024 * 1024);

    // A WebSocket echo through B, text and binary.
    const socket = await openSocket(url);
    const messages: string[] = [];
    socket.on('message', (data, isBinary) =>
      messages.push(isBinary ? `binary:${(data as Buffer).toString('hex')}` : String(data)),
    );
    socket.send('hello');
    socket.send(Buffer.from([1, 2, 3]));
    await waitFor(() => messages.length === 2, { description: 'two echoes' });
    expect(messages).toEqual(['echo: hello', 'binary:010203']);

    // What crossed the bus: the exchanges' messages, never the link's token or a credential.
    const crossed = inboxes.join('\n');
    expect(crossed).toContain('"port.to-viber"');
    expect(crossed).toContain('"port.data"');
    expect(crossed).toContain('"port.listed"');
    expect(crossed).not.toContain(token);
    expect(crossed).not.toContain(cookie.split('=')[1]!);
    expect(crossed).not.toContain(b!.operatorToken);

    // The viber leaves mid-request: B's client gets 503 saying so; the open tunnel closes.
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const pending = fetch(`${url}slow`);
    await service.waitForLine(SLOW_LINE);
    await daemon.process.kill('SIGKILL');
    const disconnected = await pending;
    expect(disconnected.status).toBe(503);
    expect(((await disconnected.json()) as ErrorBody).error.message).toBe(`viber ${viber.id} disconnected`);
    await closed;

    // The viber back on A (then C when A is gone): B serves the link again.
    const again = await spawnDaemon({
      ...daemonOptions,
      home: daemon.home,
      serverUrl: `${a!.wsUrl},${c!.wsUrl}`,
    });
    expect(again.process.stdout).toContain(`connected to ${a!.wsUrl}`);
    await waitFor(async () => (await fetch(url)).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the link through B and A again',
    });

    // A dies mid-request: B's client gets 503, the holder went away; B keeps serving through C.
    const waiting = fetch(`${url}slow`);
    await service.waitForLine(SLOW_LINE, { occurrence: 2 });
    await a!.process.kill('SIGKILL');
    const wentAway = await waiting;
    expect(wentAway.status).toBe(503);
    expect(((await wentAway.json()) as ErrorBody).error.message).toBe(
      `the gateway holding viber ${viber.id} went away`,
    );
    await again.waitForConnection(2, 45_000);
    expect(again.process.stdout).toContain(`connected to ${c!.wsUrl}`);
    await waitFor(async () => (await fetch(url)).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the link through B and C',
    });
    const after = await client.call('ports.list', { params: { id: viber.id } });
    expect(after.ports.map((port: ListedPort) => port.port)).toContain(http);
    const echoedAgain = await fetch(`${url}echo`, { method: 'POST', body: 'after A' });
    expect(await echoedAgain.text()).toBe('after A');
  });
});
