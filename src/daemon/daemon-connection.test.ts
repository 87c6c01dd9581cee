import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DaemonFixture,
  startFixture,
  TEST_TOKEN,
  TEST_VIBER_ID,
} from '../../test/support/in-process/daemon-fixture.ts';
import { waitFor } from '../../test/support/wait.ts';
import { DAEMON_VERSION, optionalCapabilities } from './viber-info.ts';

let fixture: DaemonFixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
});

describe('daemon connection', () => {
  it('dials out, proves its device key with its token in the handshake, and announces itself', async () => {
    fixture = await startFixture();
    await fixture.daemon.connected();
    const connection = await fixture.gateway.connection(1);
    // No credentials on the upgrade: they travel in the signed connect frame.
    expect(connection.headers.authorization).toBeUndefined();
    expect(connection.headers['x-viber-id']).toBeUndefined();
    expect(connection.headers['x-viber-version']).toBe(DAEMON_VERSION);
    expect(connection.connect).toMatchObject({
      role: 'node',
      scopes: [],
      token: TEST_TOKEN,
      viberId: TEST_VIBER_ID,
      extensions: ['seq', 'command-ack', 'terminal-binary'],
      client: { name: 'openviber-daemon', version: DAEMON_VERSION },
    });
    expect(connection.signatureValid).toBe(true);
    const connected = await connection.waitFor('connected');
    expect(connection.messages[0]).toBe(connected);
    expect(connected.viber).toEqual({
      id: TEST_VIBER_ID,
      name: 'test viber',
      version: DAEMON_VERSION,
      platform: `${process.platform}-${process.arch}`,
      capabilities: ['shell', 'file', ...optionalCapabilities(process.env)],
      runningTasks: [],
      // What it uses for a task that names no model, and where from (docs/settings.md).
      model: expect.objectContaining({ mode: { value: 'agent-decides', source: 'default' } }),
    });
    expect(fixture.daemon.info()).toEqual(connected.viber);
  });

  it('adopts the heartbeat interval from welcome and answers ping with pong', async () => {
    fixture = await startFixture();
    const connection = await fixture.gateway.connection(1);
    await connection.waitFor('connected');
    connection.welcome(TEST_VIBER_ID, 100);
    await waitFor(() => connection.ofType('heartbeat').length >= 3, { description: 'three heartbeats' });
    expect(fixture.daemon.controller.heartbeatIntervalMs).toBe(100);
    expect(connection.ofType('heartbeat')[0]!.status).toMatchObject({ state: 'idle', runningTasks: 0 });
    connection.send({ type: 'ping' });
    await connection.waitFor('pong');
    expect(connection.invalid).toEqual([]);
  });

  it('reconnects after the gateway drops it and announces itself again', async () => {
    fixture = await startFixture();
    const disconnects: string[] = [];
    fixture.daemon.controller.on('disconnected', (reason) => disconnects.push(reason));
    const first = await fixture.gateway.connection(1);
    await first.waitFor('connected');
    first.socket.terminate();
    const second = await fixture.gateway.connection(2);
    await second.waitFor('connected');
    expect(disconnects).toHaveLength(1);
    expect(fixture.daemon.controller.state).toBe('open');
  });

  it('keeps trying while the gateway is refusing with a non-auth error', async () => {
    fixture = await startFixture();
    await (await fixture.gateway.connection(1)).waitFor('connected');
    fixture.gateway.refuseWith = { status: 503, body: 'starting up' };
    fixture.gateway.connections[0]!.socket.terminate();
    await waitFor(() => fixture!.daemon.controller.state === 'waiting', { description: 'a failed attempt' });
    fixture.gateway.refuseWith = undefined;
    await (await fixture.gateway.connection(2)).waitFor('connected');
  });

  it('answers bad frames with precise errors and keeps the connection', async () => {
    fixture = await startFixture();
    const connection = await fixture.gateway.connection(1);
    await connection.waitFor('connected');
    connection.sendRaw('not json');
    connection.sendRaw('{"type":"task:explode"}');
    connection.sendRaw('{"type":"task:stop","taskId":"task_x"}');
    connection.sendRaw('[1,2]');
    connection.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(() => connection.ofType('error').length === 5, { description: 'five error answers' });
    expect(connection.ofType('error').map((error) => error.code)).toEqual([
      'invalid_json',
      'unknown_message',
      'validation_failed',
      'unknown_message',
      'bad_request',
    ]);
    expect(connection.ofType('error')[2]!.message).toContain('commandId');
    connection.send({ type: 'ping' });
    await connection.waitFor('pong');
    expect(connection.closed).toBe(false);
  });

  it('answers terminal requests with not_supported when terminals are off, and ignores config:update', async () => {
    fixture = await startFixture({ terminals: { enabled: false } });
    const connection = await fixture.gateway.connection(1);
    await connection.waitFor('connected');
    connection.send({ type: 'config:update', config: { a: 1 } });
    connection.send({ type: 'terminal:list', requestId: 'r1' });
    connection.send({ type: 'terminal:attach', target: 'work:0.1', appId: 'app' });
    await waitFor(() => connection.ofType('terminal:error').length === 2, {
      description: 'two terminal errors',
    });
    expect(connection.ofType('terminal:error')).toEqual([
      expect.objectContaining({ requestId: 'r1', code: 'not_supported' }),
      expect.objectContaining({ target: 'work:0.1', appId: 'app', code: 'not_supported' }),
    ]);
    expect(connection.ofType('error')).toEqual([]);
  });

  it('is fatal when the gateway closes with 4401, and stops reconnecting', async () => {
    fixture = await startFixture();
    const fatal: string[] = [];
    fixture.daemon.controller.on('fatal', (reason) => fatal.push(reason));
    const connection = await fixture.gateway.connection(1);
    await connection.waitFor('connected');
    connection.socket.close(4401, 'invalid viber token');
    await waitFor(() => fatal.length === 1, { description: 'fatal' });
    expect(fatal[0]).toBe('invalid viber token (close code 4401)');
    expect(fixture.daemon.controller.state).toBe('fatal');
    // With a 10 ms backoff a reconnect would have happened many times over by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fixture.gateway.connections).toHaveLength(1);
  });

  it('is fatal when the gateway refuses the upgrade with 403, and connected() rejects', async () => {
    fixture = await startFixture({}, (gateway) => {
      const body = JSON.stringify({
        error: { code: 'forbidden', message: 'token belongs to another viber' },
      });
      gateway.refuseWith = { status: 403, body };
    });
    await expect(fixture.daemon.connected()).rejects.toMatchObject({
      code: 'forbidden',
      message: 'gateway refused the connection: token belongs to another viber (HTTP 403)',
    });
    expect(fixture.daemon.controller.state).toBe('fatal');
    expect(fixture.gateway.connections).toHaveLength(0);
  });

  it('never writes its token to the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    fixture = await startFixture({ logger });
    const connection = await fixture.gateway.connection(1);
    await connection.waitFor('connected');
    connection.sendRaw('not json');
    await connection.waitFor('error');
    connection.socket.close(4401, 'revoked');
    await waitFor(() => fixture!.daemon.controller.state === 'fatal', { description: 'fatal' });
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join('')).not.toContain(TEST_TOKEN);
  });

  it('refuses a gateway URL that can never work before connecting', async () => {
    for (const serverUrl of ['not a url', 'http://127.0.0.1:1/ws']) {
      await expect(startFixture({ serverUrl })).rejects.toMatchObject({ code: 'bad_request' });
    }
  });

  it('is fatal when another daemon takes over this viber (4409)', async () => {
    fixture = await startFixture();
    const connection = await fixture.gateway.connection(1);
    await connection.waitFor('connected');
    connection.socket.close(4409, 'replaced by a newer connection of the same viber');
    await expect(fixture.daemon.connected()).resolves.toBeUndefined();
    await waitFor(() => fixture!.daemon.controller.state === 'fatal', { description: 'fatal' });
    expect(fixture.gateway.connections).toHaveLength(1);
  });
});
