import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  answerChallenge,
  challenged,
  type EventGap,
  GatewayClientError,
  newIdentity,
  type PairedOperator,
  pairOperator,
  RawSocket,
  rawCall,
  wsBase,
} from '../../../test/support/in-process/device-clients.ts';
import { testAuth } from '../../../test/support/in-process/test-auth.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { type BoardEvent, type OperatorScope, OperatorScopeSchema, WS_CLOSE } from '../../protocol/index.ts';
import { DeviceSockets } from '../auth/device-sockets.ts';
import { BOARD_EVENTS } from '../bus/gateway-topics.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { type GatewayStore, openSqliteStore } from '../store/index.ts';
import { MAX_OPERATOR_FRAME_BYTES, OperatorSocketServer, TOO_SLOW_CLOSE } from './operator-socket-server.ts';

const ALL_SCOPES: OperatorScope[] = [...OperatorScopeSchema.options];

describe('the operator socket on a gateway', () => {
  let harness: TestGateway;
  let admin: PairedOperator;
  let reader: PairedOperator;
  let noReads: PairedOperator;
  const adminEvents: { event: BoardEvent; seq: number }[] = [];
  const readerEvents: { event: BoardEvent; seq: number }[] = [];
  const noReadEvents: BoardEvent[] = [];
  const gaps: EventGap[] = [];

  beforeAll(async () => {
    harness = await TestGateway.start();
    admin = await pairOperator(harness, ALL_SCOPES, {
      onEvent: (event, seq) => adminEvents.push({ event, seq }),
      onGap: (gap) => gaps.push(gap),
    });
    reader = await pairOperator(harness, ['tasks.read'], {
      onEvent: (event, seq) => readerEvents.push({ event, seq }),
      onGap: (gap) => gaps.push(gap),
    });
    noReads = await pairOperator(harness, ['devices.admin'], {
      onEvent: (event) => noReadEvents.push(event),
    });
  });

  afterAll(async () => {
    for (const device of [admin, reader, noReads]) await device?.connection.close();
    await harness?.cleanup();
  });

  it('answers typed calls under the route table, as REST does', async () => {
    const { tasks } = await admin.connection.call('tasks.list');
    expect(tasks).toEqual([]);
    const session = await reader.connection.call('session.get');
    expect(session).toMatchObject({ deviceId: reader.deviceId, role: 'operator', scopes: ['tasks.read'] });
    // The route's own validation, its status and code.
    const invalid = await admin.connection
      .call('vibers.get', { params: { id: 'no-such-viber' } })
      .catch((error: unknown) => error);
    expect(GatewayClientError.isInstance(invalid) && invalid.code).toBe('not_found');
    expect((invalid as GatewayClientError).status).toBe(404);
    // A scope the device lacks.
    const refused = await reader.connection
      .call('vibers.register', { body: { name: 'nope' } })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'forbidden', status: 403 });
  });

  it('replays an idempotent request with the same key', async () => {
    const first = await admin.connection.call('vibers.register', {
      body: { name: 'twice' },
      idempotencyKey: 'register-twice',
    });
    const second = await admin.connection.call('vibers.register', {
      body: { name: 'twice' },
      idempotencyKey: 'register-twice',
    });
    expect(second.id).toBe(first.id);
    const conflict = await admin.connection
      .call('vibers.register', { body: { name: 'other' }, idempotencyKey: 'register-twice' })
      .catch((error: unknown) => error);
    expect(conflict).toMatchObject({ code: 'idempotency_conflict', status: 422 });
    const { vibers } = await admin.connection.call('vibers.list');
    expect(vibers.filter((viber) => viber.name === 'twice')).toHaveLength(1);
  });

  it('answers what is not a method, and keeps the socket open after bad frames', async () => {
    const socket = admin.connection.socket as unknown as WebSocket;
    const unknown = await rawCall(admin.connection, { id: 'u1', method: 'tasks.frobnicate' });
    expect(unknown).toMatchObject({ id: 'u1', ok: false, status: 404, error: { code: 'not_found' } });
    const stream = await rawCall(admin.connection, { id: 's1', method: 'events.stream' });
    expect(stream).toMatchObject({ id: 's1', ok: false, status: 400, error: { code: 'bad_request' } });
    expect(stream.ok === false && stream.error.message).toContain('not a method');
    const terminal = await rawCall(admin.connection, { id: 's2', method: 'terminals.socket' });
    expect(terminal).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request' } });
    const missingParam = await rawCall(admin.connection, { id: 'p1', method: 'tasks.get' });
    expect(missingParam).toMatchObject({ ok: false, status: 400, error: { code: 'validation_failed' } });
    const bodyNotTaken = await rawCall(admin.connection, { id: 'b1', method: 'tasks.list', body: { x: 1 } });
    expect(bodyNotTaken).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    const badBody = await rawCall(admin.connection, {
      id: 'b2',
      method: 'vibers.register',
      body: { name: 7 },
    });
    expect(badBody).toMatchObject({ ok: false, status: 400, error: { code: 'validation_failed' } });

    const answers: unknown[] = [];
    const listen = (data: WebSocket.RawData) => {
      const value = JSON.parse(data.toString());
      if (value.type === 'res') answers.push(value);
    };
    socket.on('message', listen);
    socket.send('not json at all');
    socket.send(JSON.stringify({ type: 'req', id: 'm1' }));
    socket.send(
      JSON.stringify({
        type: 'req',
        id: 'big',
        method: 'tasks.list',
        body: 'x'.repeat(MAX_OPERATOR_FRAME_BYTES),
      }),
    );
    socket.send(Buffer.from('binary'), { binary: true });
    const deadline = Date.now() + 10_000;
    while (answers.length < 4 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    socket.off('message', listen);
    expect(answers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: '',
          ok: false,
          error: expect.objectContaining({ code: 'validation_failed' }),
        }),
        expect.objectContaining({
          id: 'm1',
          ok: false,
          error: expect.objectContaining({ code: 'validation_failed' }),
        }),
        expect.objectContaining({
          id: 'big',
          status: 413,
          error: expect.objectContaining({ code: 'payload_too_large' }),
        }),
      ]),
    );
    expect(answers).toHaveLength(4);
    // Still open, still answering.
    expect((await admin.connection.call('tasks.list')).tasks).toEqual([]);
  });

  it('pushes board events with a seq from 1 to devices holding tasks.read, none to others', async () => {
    // events.ready opens every connection's events.
    expect(readerEvents[0]).toMatchObject({ seq: 1, event: { type: 'events.ready' } });
    expect(adminEvents[0]).toMatchObject({ seq: 1, event: { type: 'events.ready' } });
    const created = await harness.client.call('environments.create', {
      body: { name: 'evented', type: 'manual' },
    });
    const deadline = Date.now() + 10_000;
    const seen = () =>
      readerEvents.some(
        ({ event }) => event.type === 'environment.updated' && event.environmentId === created.id,
      );
    while (!seen() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen()).toBe(true);
    for (const events of [readerEvents, adminEvents]) {
      expect(events.map(({ seq }) => seq)).toEqual(events.map((_, index) => index + 1));
    }
    expect(gaps).toEqual([]);
    // A round trip on the device without tasks.read: anything pushed to it would have come first.
    await noReads.connection.call('devices.list');
    expect(noReadEvents).toEqual([]);
  });

  it("takes the board's session cookie from the gateway's own origin only", async () => {
    const signIn = await fetch(`${harness.gateway.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TEST_OPERATOR_TOKEN }),
    });
    expect(signIn.status).toBe(201);
    const session = (await signIn.json()) as { deviceId: string };
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/=/);
    const path = '/api/ws';
    const crossOrigin = new RawSocket(`${wsBase(harness)}${path}`, {
      cookie,
      origin: 'http://elsewhere.example',
    });
    expect(await crossOrigin.next()).toMatchObject({ type: 'connect.refused', code: 'unauthorized' });
    expect((await crossOrigin.closed).code).toBe(WS_CLOSE.unauthorized);
    const { socket, connect } = await challenged(
      harness,
      path,
      await newIdentity(),
      { role: 'operator' },
      {
        headers: { cookie, origin: harness.gateway.url },
      },
    );
    socket.send(connect);
    expect(await socket.next()).toMatchObject({ type: 'connect.ok', deviceId: session.deviceId });
    await socket.close();
  });

  it('closes the sockets when the gateway closes', async () => {
    const other = await TestGateway.start();
    const device = await pairOperator(other, ['tasks.read']);
    await other.cleanup();
    expect((await device.connection.closed).code).toBe(WS_CLOSE.goingAway);
  });
});

// ---- flow control and liveness, on a bare server with small bounds ----

describe('the operator socket server', () => {
  const OPERATOR_TOKEN = 'ovo_operator-socket-test-token-123456';
  let store: GatewayStore;
  let bus: InProcessTopicBus;
  let server: Server;
  let operatorSockets: OperatorSocketServer;
  let url: string;

  async function start(options: { maxBufferedBytes?: number; pingIntervalMs?: number }) {
    const log = pino({ level: 'silent' });
    store = openSqliteStore(':memory:');
    bus = new InProcessTopicBus(log);
    const { auth, devices } = await testAuth(store, OPERATOR_TOKEN);
    operatorSockets = new OperatorSocketServer({
      app: { fetch: () => new Response('{}', { headers: { 'content-type': 'application/json' } }) },
      auth,
      devices,
      deviceSockets: new DeviceSockets(),
      bus,
      boardEvents: { activities: async () => ({}) },
      log,
      ...options,
    });
    server = createServer();
    server.on('upgrade', (request, socket, head) => operatorSockets.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/ws`;
  }

  afterEach(async () => {
    await operatorSockets?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  /** A signed-in socket with the operator token; `autoPong: false` plays a client that went away. */
  async function connected(options: { autoPong?: boolean } = {}) {
    const ws = new WebSocket(url, { autoPong: options.autoPong ?? true });
    const frames: { type: string; seq?: number }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const wait = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (frames.length < count && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await wait(1);
    const challenge = frames.shift() as unknown as { nonce: string; ts: number; type: 'connect.challenge' };
    ws.send(
      JSON.stringify(
        await answerChallenge(await newIdentity(), challenge, { role: 'operator', token: OPERATOR_TOKEN }),
      ),
    );
    await wait(2);
    expect(frames.shift()).toMatchObject({ type: 'connect.ok' });
    expect(frames[0]).toMatchObject({ type: 'event', seq: 1 });
    return { ws, frames, closed, wait };
  }

  it('closes a socket that falls behind the events, never skipping a seq', async () => {
    await start({ maxBufferedBytes: 256 * 1024 });
    const { ws, frames, closed } = await connected();
    // The client stops reading: the gateway's send buffer fills.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'x'.repeat(64 * 1024);
    for (let index = 0; index < 400; index += 1) {
      bus.publish(BOARD_EVENTS, { type: 'devices.changed', deviceId: `${index}-${big}` });
      if (bus.listenerCount(BOARD_EVENTS) === 0) break;
    }
    expect(bus.listenerCount(BOARD_EVENTS)).toBe(0);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const close = await closed;
    expect(close.code).toBe(TOO_SLOW_CLOSE);
    expect(close.reason).toMatch(/too slow/);
    const seqs = frames.map((frame) => frame.seq);
    expect(seqs.length).toBeGreaterThan(1);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  });

  it('pings every socket and drops one that stops answering', async () => {
    await start({ pingIntervalMs: 100 });
    const alive = await connected();
    const gone = await connected({ autoPong: false });
    const close = await gone.closed;
    expect(close.code).toBe(1006);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    alive.ws.close();
  });

  it('refuses a bad bearer on the upgrade with connect.refused', async () => {
    await start({});
    const socket = new RawSocket(url, { authorization: 'Bearer ovd_nobody' });
    expect(await socket.next()).toMatchObject({ type: 'connect.refused', code: 'unauthorized' });
    expect((await socket.closed).code).toBe(WS_CLOSE.unauthorized);
  });

  it('takes the operator token on the upgrade and a matching handshake', async () => {
    await start({});
    const { socket, connect } = await challenged(
      url.replace('/api/ws', ''),
      '/api/ws',
      await newIdentity(),
      { role: 'operator', token: OPERATOR_TOKEN },
      { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } },
    );
    socket.send(connect);
    expect(await socket.next()).toMatchObject({ type: 'connect.ok', deviceId: 'operator-token' });
    await socket.close();
  });
});
