import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import { PROTOCOL_VERSION, WS_CLOSE } from '../protocol/index.ts';
import { generateDeviceKeys, identityFromKeyPair } from './device-identity.ts';
import type { GatewayClientError } from './gateway-client-error.ts';
import { connectOperatorSocket, type EventGap } from './operator-socket.ts';

// The operator socket's client against a scripted server (the gateway's own tests use a real one):
// events that come with connect.ok, a gap in the seq, answers checked against the route table.

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const socket of server.clients) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

type Frame = Record<string, unknown>;

/** A server that accepts any connect, then hands every later frame to `onRequest`. */
async function scripted(
  afterOk: (socket: ServerSocket) => void,
  onRequest: (socket: ServerSocket, frame: Frame) => void,
) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'connect.challenge', nonce: 'n'.repeat(32), ts: Date.now() }));
    socket.once('message', (data) => {
      const connect = JSON.parse(data.toString()) as Frame;
      const ok = {
        type: 'connect.ok',
        protocolVersion: PROTOCOL_VERSION,
        extensions: [],
        deviceId: (connect.device as { id: string }).id,
        role: 'operator',
        scopes: ['tasks.read'],
      };
      // connect.ok and the first events in one write: none may be lost.
      socket.send(JSON.stringify(ok));
      afterOk(socket);
      socket.on('message', (next) => onRequest(socket, JSON.parse(next.toString()) as Frame));
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const event = (seq: number) =>
  JSON.stringify({ type: 'event', seq, event: { type: 'devices.changed', deviceId: `d${seq}` } });

describe('connectOperatorSocket', () => {
  it('delivers events that arrive with connect.ok, and reports a gap', async () => {
    const baseUrl = await scripted(
      (socket) => {
        for (const seq of [1, 2, 4]) socket.send(event(seq));
      },
      () => {},
    );
    const seqs: number[] = [];
    const gaps: EventGap[] = [];
    const connection = await connectOperatorSocket(baseUrl, {
      identity: await identityFromKeyPair(await generateDeviceKeys()),
      token: 'ovd_test',
      onEvent: (_, seq) => seqs.push(seq),
      onGap: (gap) => gaps.push(gap),
    });
    const deadline = Date.now() + 5_000;
    while (seqs.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seqs).toEqual([1, 2, 4]);
    expect(gaps).toEqual([{ expected: 3, received: 4 }]);
    expect(connection.lastSeq).toBe(4);
    await connection.close();
  });

  it('checks answers against the route table, and rejects calls when the socket closes', async () => {
    const baseUrl = await scripted(
      () => {},
      (socket, frame) => {
        if (frame.method === 'tasks.list') {
          socket.send(
            JSON.stringify({
              type: 'res',
              id: frame.id,
              ok: true,
              status: 200,
              data: { tasks: [], nextCursor: null },
            }),
          );
        } else if (frame.method === 'tasks.get') {
          socket.send(
            JSON.stringify({ type: 'res', id: frame.id, ok: true, status: 200, data: { wrong: true } }),
          );
        } else if (frame.method === 'vibers.list') {
          const error = { code: 'forbidden', message: 'this device lacks the scope tasks.read' };
          socket.send(JSON.stringify({ type: 'res', id: frame.id, ok: false, status: 403, error }));
        } else {
          socket.close(WS_CLOSE.goingAway, 'bye');
        }
      },
    );
    const connection = await connectOperatorSocket(baseUrl, {
      identity: await identityFromKeyPair(await generateDeviceKeys()),
      token: 'ovd_test',
    });
    expect(await connection.call('tasks.list')).toEqual({ tasks: [], nextCursor: null });
    const bad = await connection.call('tasks.get', { params: { id: 't1' } }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ code: 'bad_response', route: 'tasks.get' });
    const refused = (await connection
      .call('vibers.list')
      .catch((error: unknown) => error)) as GatewayClientError;
    expect(refused).toMatchObject({ code: 'forbidden', status: 403, route: 'vibers.list' });
    // Checked before sending, as a REST call is.
    const invalid = await connection
      .call('tasks.create', { body: { goal: '' } as never })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({ code: 'validation_failed' });
    const cut = await connection.call('environments.list').catch((error: unknown) => error);
    expect(cut).toMatchObject({ code: 'unreachable' });
    expect((await connection.closed).code).toBe(WS_CLOSE.goingAway);
  });
});
