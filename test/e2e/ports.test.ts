import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BOARD_SESSION_COOKIE, type ListedPort } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { REPO_ROOT, spawnNode, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// A real gateway and a real daemon as processes, and a real web service started in the viber's
// workspace: listed with its process, opened through the gateway with a minted link (HTTP with
// streamed bodies both ways, and a WebSocket echo), and every refusal of docs/ports.md.

useE2eCleanup();

const SERVICE = join(REPO_ROOT, 'test/support/port-service.mjs');
const SERVICE_LINE = /port-service http=(\d+)(?: garbage=(\d+))?/;
const CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

async function startService(cwd: string, args: string[] = []) {
  mkdirSync(cwd, { recursive: true });
  const service = spawnNode([SERVICE, ...args], { name: 'port-service', cwd });
  const [, http, garbage] = await service.waitForLine(SERVICE_LINE);
  return { service, http: Number(http), garbage: garbage === undefined ? undefined : Number(garbage) };
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

describe('ports through the gateway', () => {
  it('lists a service of the workspace and proxies its HTTP and WebSocket with a minted link', async () => {
    const model = await startModelServer({ script: [] });
    const gateway = await spawnGateway({ env: { OPENVIBER_PORT_TIMEOUT_MS: '1500' } });
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'ports-viber' });
    const { service, http, garbage } = await startService(join(daemon.home, 'workspace', 'site'), [
      'garbage',
    ]);
    const client = gateway.rest.client;

    // Listed with its process; the garbage port answers TCP but not HTTP.
    const listed = await client.call('ports.list', { params: { id: daemon.viberId } });
    const web = listed.ports.find((port: ListedPort) => port.port === http);
    expect(web).toMatchObject({
      address: '127.0.0.1',
      pid: service.pid,
      ownership: 'workspace',
      answers: true,
      httpStatus: 200,
    });
    expect(web?.command).toContain('port-service.mjs');
    expect(listed.ports.find((port: ListedPort) => port.port === garbage)).toMatchObject({ answers: true });
    expect(listed.ports.find((port: ListedPort) => port.port === garbage)?.httpStatus).toBeUndefined();

    const opened = await client.call('ports.open', { params: { id: daemon.viberId, port: http }, body: {} });
    expect(opened.path).toMatch(
      new RegExp(`^/ports/${daemon.viberId}/${http}/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+/$`),
    );
    expect(opened.url).toBe(`${gateway.url}${opened.path}`);
    const url = opened.url;

    // The CLI lists it and prints a working link.
    const cliFlags = ['--gateway', gateway.url, '--token', gateway.operatorToken];
    const cliList = spawnViber(['ports', 'list', 'ports-viber', ...cliFlags], { name: 'cli-ports-list' });
    expect((await cliList.exited).code).toBe(0);
    expect(cliList.stdout).toMatch(
      new RegExp(`${http}\\s+HTTP 200\\s+${service.pid}\\s+.*port-service\\.mjs`),
    );
    const cliOpen = spawnViber(['ports', 'open', daemon.viberId, String(http), ...cliFlags], {
      name: 'cli-ports-open',
    });
    expect((await cliOpen.exited).code).toBe(0);
    const cliUrl = cliOpen.stdout.split('\n')[0]!;
    expect(cliUrl.startsWith(`${gateway.url}/ports/${daemon.viberId}/${http}/`)).toBe(true);
    expect((await fetch(cliUrl)).status).toBe(200);
    const cliRefused = spawnViber(['ports', 'open', daemon.viberId, '70000', ...cliFlags], {
      name: 'cli-ports-bad',
    });
    expect((await cliRefused.exited).code).not.toBe(0);

    // The page, sandboxed.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('Hello from a service on the viber');
    // Without the slash after the token, a redirect to it (relative URLs resolve under the token).
    const bare = await fetch(url.slice(0, -1), { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe(opened.path);

    // What the service sees: its own path and host, none of the gateway's credentials.
    const cookie = await signInCookie(gateway);
    const seen = await fetch(`${url}headers?x=1`, {
      headers: { cookie: `${cookie}; theme=dark`, authorization: `Bearer ${gateway.operatorToken}` },
    });
    const { url: servicePath, headers } = (await seen.json()) as {
      url: string;
      headers: Record<string, string>;
    };
    expect(servicePath).toBe('/headers?x=1');
    expect(headers.host).toBe(`localhost:${http}`);
    expect(headers.cookie).toBe('theme=dark');
    expect(headers.authorization).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain(opened.path.split('/')[4]!);

    // A POST body of 3 MiB streamed to the service (through the window), echoed back with its cookies held.
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'xyz');
    const echoed = await fetch(`${url}echo`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-test' },
    });
    expect(echoed.status).toBe(201);
    expect(echoed.headers.get('x-service')).toBe('echo');
    expect(echoed.headers.get('content-security-policy')).toBe(CSP);
    expect(echoed.headers.get('x-body-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(echoed.headers.getSetCookie()).toEqual([
      `sid=abc; HttpOnly; Path=/ports/${daemon.viberId}/${http}/`,
    ]);
    expect(Buffer.from(await echoed.arrayBuffer()).equals(body)).toBe(true);

    // A streamed answer arrives in its pieces; a large one whole.
    const streamed = await fetch(`${url}stream`);
    expect(await streamed.text()).toBe('chunk-1\nchunk-2\nchunk-3\nchunk-4\nchunk-5\nend\n');
    const big = await fetch(`${url}big?bytes=${5 * 1024 * 1024}`);
    expect(big.headers.get('content-length')).toBe(String(5 * 1024 * 1024));
    expect((await big.arrayBuffer()).byteLength).toBe(5 * 1024 * 1024);

    // A WebSocket echo through the tunnel, text and binary.
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}ws`);
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const received = new Promise<void>((resolve) =>
      socket.on('message', (data, isBinary) => {
        messages.push(isBinary ? `binary:${(data as Buffer).toString('hex')}` : String(data));
        if (messages.length === 2) resolve();
      }),
    );
    socket.send('hello');
    socket.send(Buffer.from([1, 2, 3]));
    await received;
    expect(messages).toEqual(['echo: hello', 'binary:010203']);
    socket.close();

    // Refusals: no token, a wrong one, one for another port, the board cookie alone.
    const base = `${gateway.url}/ports/${daemon.viberId}/${http}`;
    expect((await fetch(`${base}//`)).status).toBe(401);
    const wrong = await fetch(`${base}/not-a-token/`);
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(
      /no valid port token/,
    );
    const otherPort = await fetch(url.replace(`/${http}/`, `/${garbage}/`));
    expect(otherPort.status).toBe(403);
    expect(((await otherPort.json()) as { error: { message: string } }).error.message).toBe(
      `this link opens port ${http} of viber ${daemon.viberId}, not port ${garbage} of viber ${daemon.viberId}`,
    );
    const cookieOnly = await fetch(`${base}/x/`, {
      headers: { cookie, authorization: `Bearer ${gateway.operatorToken}` },
    });
    expect(cookieOnly.status).toBe(401);
    expect(cookie.startsWith(`${BOARD_SESSION_COOKIE}=`)).toBe(true);
    // A WebSocket without a valid token is refused before anything reaches the viber.
    const refusedSocket = new WebSocket(`${base.replace(/^http/, 'ws')}/bad/ws`);
    const status = await new Promise<number>((resolve) =>
      refusedSocket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)),
    );
    expect(status).toBe(401);

    // Garbage answers 502, and the gateway keeps serving.
    const garbageLink = await client.call('ports.open', {
      params: { id: daemon.viberId, port: garbage! },
      body: {},
    });
    const garbled = await fetch(garbageLink.url);
    expect(garbled.status).toBe(502);
    expect(((await garbled.json()) as { error: { message: string } }).error.message).toMatch(
      new RegExp(
        `^port ${garbage} on viber ${daemon.viberId} (did not answer HTTP|closed the connection without an HTTP answer)`,
      ),
    );
    expect((await fetch(url)).status).toBe(200);

    // A slow service: 504 after the gateway's timeout (1.5 s here); the gateway keeps serving.
    const slow = await fetch(`${url}slow`);
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { error: { message: string } }).error.message).toBe(
      `port ${http} on viber ${daemon.viberId} did not answer within 2 s`,
    );

    // A port that closed after it was opened: 502, saying so.
    const second = await startService(join(daemon.home, 'workspace', 'second'));
    const secondLink = await client.call('ports.open', {
      params: { id: daemon.viberId, port: second.http },
      body: {},
    });
    expect((await fetch(secondLink.url)).status).toBe(200);
    await second.service.kill('SIGKILL');
    const closed = await fetch(secondLink.url);
    expect(closed.status).toBe(502);
    expect(((await closed.json()) as { error: { message: string } }).error.message).toBe(
      `nothing listens on port ${second.http} on viber ${daemon.viberId}`,
    );

    // A process outside the viber's work is not listed and cannot be opened.
    const outside = await startService(makeTempDir('not-the-viber'));
    const after = await client.call('ports.list', { params: { id: daemon.viberId } });
    expect(after.ports.map((port: ListedPort) => port.port)).not.toContain(outside.http);
    const refused = await client
      .request('ports.open', { params: { id: daemon.viberId, port: outside.http }, body: {} })
      .catch((error: { status?: number; message: string }) => error);
    expect(refused).toMatchObject({ status: 404 });
    expect((refused as Error).message).toMatch(
      new RegExp(`port ${outside.http} on viber ${daemon.viberId} is not one of the viber's services`),
    );

    // The viber offline: 503.
    await daemon.process.kill('SIGKILL');
    const offline = await fetch(url);
    expect(offline.status).toBe(503);
    expect(((await offline.json()) as { error: { message: string } }).error.message).toMatch(
      /is not connected|disconnected/,
    );
  });
});
