import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import { encodeViewerOutputFrame, type TerminalServerMessage } from '../protocol/index.ts';
import { createGatewayClient } from './gateway-client.ts';
import type { GatewayClientError } from './gateway-client-error.ts';
import type { TerminalConnection } from './terminal-connection.ts';
import { keepTerminalConnected } from './terminal-reconnect.ts';

// The terminal client against a scripted WebSocket server (route-calls.test.ts uses a real
// gateway): frames the protocol does not know, answers for another viber, refusals, reconnects.

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const socket of server.clients) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

type OnSocket = (socket: ServerSocket, request: IncomingMessage) => void;

async function scripted(...connections: OnSocket[]) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const requests: IncomingMessage[] = [];
  server.on('connection', (socket, request) => {
    requests.push(request);
    connections.shift()?.(socket, request);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { requests, client: createGatewayClient({ baseUrl: url, token: 'ovo_t' }) };
}

const send = (socket: ServerSocket, message: TerminalServerMessage | string) =>
  socket.send(typeof message === 'string' ? message : JSON.stringify(message));
const ready = (socket: ServerSocket) =>
  send(socket, { type: 'terminal:ready', access: 'read', maxInputChars: 64 });

describe('connectTerminal', () => {
  it('connects with the token, delivers valid messages only, and pairs requests with answers', async () => {
    const { requests, client } = await scripted((socket) => {
      ready(socket);
      socket.on('message', (data) => {
        const { requestId } = JSON.parse(data.toString()) as { requestId: string };
        send(socket, 'not json');
        send(socket, { type: 'terminal:list-result', requestId, viberId: 'viber_other', sessions: [] });
        send(socket, { type: 'terminal:list-result', requestId, viberId: 'viber_1', sessions: [] });
      });
    });
    const invalid: GatewayClientError[] = [];
    const terminal = await client.connectTerminal({
      access: 'read',
      onInvalid: (error) => invalid.push(error),
    });
    expect(terminal).toMatchObject({ access: 'read', maxInputChars: 64 });
    expect(requests[0]?.url).toBe('/api/terminals/ws?access=read&output=binary');
    expect(requests[0]?.headers.authorization).toBe('Bearer ovo_t');

    const seen: string[] = [];
    terminal.onMessage((message) => seen.push(message.type));
    const answer = await terminal.request({ type: 'terminal:list', viberId: 'viber_1' });
    expect(answer).toEqual({
      type: 'terminal:list-result',
      requestId: 'c1',
      viberId: 'viber_1',
      sessions: [],
    });
    expect(invalid.map((error) => error.code)).toEqual(['bad_response']);
    expect(seen).toEqual(['terminal:list-result', 'terminal:list-result']);
    await terminal.close();
  });

  it('turns terminal:error into its code, and checks what it sends', async () => {
    const { client } = await scripted((socket) => {
      ready(socket);
      socket.on('message', (data) => {
        const { requestId, viberId } = JSON.parse(data.toString()) as { requestId: string; viberId: string };
        send(socket, {
          type: 'terminal:error',
          requestId,
          viberId,
          code: 'tmux_missing',
          message: 'no tmux',
        });
      });
    });
    const terminal = await client.connectTerminal();
    await expect(terminal.request({ type: 'terminal:list', viberId: 'viber_1' })).rejects.toMatchObject({
      code: 'tmux_missing',
      message: 'no tmux',
    });
    expect(() =>
      terminal.send({ type: 'terminal:attach', viberId: 'viber_1', target: 'bad target!' }),
    ).toThrow(/terminal:attach: target: must be a tmux target/);
    await terminal.close();
  });

  it('asks for binary output and delivers each binary frame as the terminal:output it stands for', async () => {
    const { requests, client } = await scripted(
      (socket) => {
        send(socket, { type: 'terminal:ready', access: 'write', maxInputChars: 64, output: 'binary' });
        socket.once('message', () => {
          const text = new TextEncoder().encode('\x1b[1mé€😀\r\n');
          socket.send(encodeViewerOutputFrame('viber_1', 'work', text));
          socket.send(Buffer.from([9, 9, 9]));
          socket.send(encodeViewerOutputFrame('viber_1', 'work', new TextEncoder().encode('after')));
        });
      },
      (socket) => ready(socket),
    );
    const invalid: GatewayClientError[] = [];
    const seen: TerminalServerMessage[] = [];
    const terminal = await client.connectTerminal({ onInvalid: (error) => invalid.push(error) });
    terminal.onMessage((message) => seen.push(message));
    terminal.send({ type: 'terminal:attach', viberId: 'viber_1', target: 'work' });
    expect(requests[0]?.url).toBe('/api/terminals/ws?output=binary');
    expect(terminal.output).toBe('binary');
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual([
      { type: 'terminal:output', viberId: 'viber_1', target: 'work', data: '\x1b[1mé€😀\r\n' },
      { type: 'terminal:output', viberId: 'viber_1', target: 'work', data: 'after' },
    ]);
    expect(invalid.map((error) => error.message)).toEqual([
      'terminals.socket: a binary frame that is not terminal output',
    ]);
    await terminal.close();

    // JSON output on request: no query, and the gateway's ready says nothing of binary.
    const json = await client.connectTerminal({ output: 'json' });
    expect(requests[1]?.url).toBe('/api/terminals/ws');
    expect(json.output).toBe('json');
    await json.close();
  });

  it('reports a refused upgrade as unauthorized', async () => {
    const { client } = await scripted((socket) => socket.close(4401, 'bad token'));
    await expect(client.connectTerminal()).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'the terminal socket closed (4401) bad token',
    });
  });
});

describe('keepTerminalConnected', () => {
  it('reconnects after a drop and hands over each new connection, until aborted', async () => {
    const { client } = await scripted(
      (socket) => {
        ready(socket);
        setTimeout(() => socket.close(1001, 'gateway restarting'), 50);
      },
      (socket) => ready(socket),
    );
    const abort = new AbortController();
    const connections: TerminalConnection[] = [];
    const drops: string[] = [];
    const kept = keepTerminalConnected(client, {
      signal: abort.signal,
      backoff: { baseMs: 10, maxMs: 20 },
      onConnection: (connection) => connections.push(connection),
      onDisconnected: ({ error }) => drops.push(error.message),
    });
    await expect.poll(() => connections.length).toBe(2);
    expect(drops).toEqual(['the terminal socket closed (1001) gateway restarting']);
    abort.abort();
    await kept;
    expect((await connections[1]!.closed).code).toBe(1000);
  });
});
