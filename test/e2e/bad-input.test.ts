import { describe, expect, it } from 'vitest';
import { type GatewayMessage, LIMITS } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  FINAL_TEXT,
  makeFixtureDir,
  normalizeMessage,
  textsOf,
  toolThenText,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import { FakeDaemon } from '../support/fake-daemon.ts';
import { errorOf, type RestResponse } from '../support/rest-client.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

// Issue 2, "Bad input", over real processes: every bad frame, header and body gets its precise
// error, and every other connection and all stored state are intact afterwards.

useE2eCleanup();

function expectError(response: RestResponse, status: number, code: string, messagePart?: RegExp): void {
  const error = errorOf(response);
  expect({ status: response.status, code: error?.code }, response.text).toEqual({ status, code });
  expect(error?.message).toEqual(expect.any(String));
  if (messagePart) expect(error?.message).toMatch(messagePart);
}

/** A refused connection: an HTTP status on the upgrade, or a close with an application code. */
async function expectRefused(daemon: FakeDaemon, status: number, closeCode: number): Promise<void> {
  if (!(await daemon.opened)) {
    expect(daemon.refused?.status).toBe(status);
    return;
  }
  const closed = await withTimeout(daemon.closed, 10_000, 'the gateway to close a refused connection');
  expect(closed.code).toBe(closeCode);
  expect(closed.reason.length).toBeGreaterThan(0);
}

async function connectedViber(gateway: GatewayHandle, name: string): Promise<FakeDaemon> {
  const registered = await gateway.rest.registerViber(name);
  return FakeDaemon.connect(gateway.wsUrl, { viberId: registered.id, token: registered.token, name });
}

/** The `index`-th (0-based) error the gateway sent the fake viber. */
function nthError(daemon: FakeDaemon, index: number): Promise<Extract<GatewayMessage, { type: 'error' }>> {
  return daemon.waitFor(
    (message) => message.type === 'error' && daemon.ofType('error').indexOf(message) === index,
  );
}

describe('bad input over real processes', () => {
  it('answers each with its precise error and leaves other connections and stored tasks intact', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'bystander' });
    const cwd = makeFixtureDir();
    const done = await gateway.rest.createTask({
      goal: 'List the folder.',
      viberId: daemon.viberId,
      options: { cwd },
    });
    const before = await withTimeout((await gateway.follow(done.id)).finished, 45_000, 'the first task');
    const doneDetail = await waitForTaskStatus(gateway.rest, done.id, 'completed');

    // --- WebSocket: frames from a viber with a valid token ---
    const raw = await connectedViber(gateway, 'raw');
    raw.send('this is { not json');
    expect(await nthError(raw, 0)).toMatchObject({ code: 'invalid_json' });
    raw.send(JSON.stringify({ type: 'task:teleport', taskId: 'task_x' }));
    expect(await nthError(raw, 1)).toMatchObject({
      code: 'unknown_message',
      message: expect.stringContaining('task:teleport'),
    });
    raw.send(JSON.stringify({ type: 'heartbeat', status: { state: 'sleepy' } }));
    expect(await nthError(raw, 2)).toMatchObject({ code: 'validation_failed' });
    // A valid frame about another viber's task must not touch it.
    raw.send({
      type: 'task:stream-chunk',
      taskId: done.id,
      seq: 999,
      chunk: { type: 'text-delta', id: 'x', delta: 'INJECTED' },
    });
    expect(['forbidden', 'not_found', 'task_finished']).toContain((await nthError(raw, 3)).code);
    // The connection survived all of that.
    raw.send({ type: 'heartbeat', status: { state: 'idle', runningTasks: 0, uptimeSeconds: 1 } });
    raw.send({ type: 'pong' });
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);

    // An oversize frame: an error naming the limit, or a 1009 close.
    const big = await connectedViber(gateway, 'big');
    big.send(
      JSON.stringify({
        type: 'heartbeat',
        status: { state: 'idle', runningTasks: 0, uptimeSeconds: 1 },
        pad: 'x'.repeat(LIMITS.maxFrameBytes + 10),
      }),
    );
    const outcome = await Promise.race([
      big.waitFor((message) => message.type === 'error').then((error) => ({ error })),
      big.closed.then((closed) => ({ closed })),
    ]);
    if ('error' in outcome) expect(outcome.error).toMatchObject({ code: 'payload_too_large' });
    else expect(outcome.closed.code).toBe(1009);

    // --- WebSocket: refused connections ---
    const victim = await gateway.rest.registerViber('victim');
    const spoofer = await gateway.rest.registerViber('spoofer');
    const spoofed = new FakeDaemon(gateway.wsUrl, { viberId: victim.id, token: spoofer.token });
    await expectRefused(spoofed, 403, 4403);
    const wrongToken = new FakeDaemon(gateway.wsUrl, { viberId: victim.id, token: 'ovv_wrong' });
    await expectRefused(wrongToken, 401, 4401);
    // No credentials on the upgrade: the gateway asks for the connect handshake, and a daemon that
    // answers with `connected` instead is refused at once (bad_handshake), before it is anyone.
    const noAuth = new FakeDaemon(gateway.wsUrl, {
      viberId: victim.id,
      token: '',
      headers: { 'x-viber-id': victim.id },
    });
    await noAuth.opened;
    noAuth.send({ type: 'connected', viber: noAuth.info() });
    await expectRefused(noAuth, 401, 4401);
    expect((await noAuth.closed).reason).toMatch(/^bad_handshake: /);
    const operatorAsViber = new FakeDaemon(gateway.wsUrl, {
      viberId: victim.id,
      token: gateway.operatorToken,
    });
    // A good credential in the wrong role: forbidden, not unknown.
    await expectRefused(operatorAsViber, 403, 4403);
    // A connected message that claims another id on a valid connection.
    const liar = await gateway.rest.registerViber('liar');
    const liarWs = new FakeDaemon(gateway.wsUrl, { viberId: liar.id, token: liar.token, name: 'liar' });
    await liarWs.opened;
    liarWs.send({ type: 'connected', viber: { ...liarWs.info(), id: victim.id } });
    const liarOutcome = await Promise.race([
      liarWs.waitFor((message) => message.type === 'error').then((error) => ({ error })),
      liarWs.closed.then((closed) => ({ closed })),
    ]);
    if ('error' in liarOutcome) expect(liarOutcome.error).toMatchObject({ code: 'forbidden' });
    else expect(liarOutcome.closed.code).toBe(4403);
    expect((await gateway.rest.getViber(victim.id))?.presence).toBe('offline');

    // --- REST ---
    const rest = gateway.rest;
    expectError(await rest.request('GET', '/api/tasks', { token: null }), 401, 'unauthorized');
    expectError(await rest.request('GET', '/api/tasks', { token: 'ovo_wrong' }), 401, 'unauthorized');
    const viberTokenAsOperator = await rest.request('GET', '/api/tasks', { token: victim.token });
    expect([401, 403]).toContain(viberTokenAsOperator.status);
    expectError(await rest.request('POST', '/api/tasks', { rawBody: '{"goal": "x",' }), 400, 'invalid_json');
    expectError(
      await rest.request('POST', '/api/tasks', { body: { goal: 42, viberId: daemon.viberId } }),
      400,
      'validation_failed',
      /goal/,
    );
    expectError(
      await rest.request('POST', '/api/tasks', {
        body: { goal: 'x', viberId: daemon.viberId, colour: 'red' },
      }),
      400,
      'validation_failed',
      /colour/,
    );
    expectError(await rest.request('POST', '/api/vibers', { body: {} }), 400, 'validation_failed', /name/);
    expectError(
      await rest.request('POST', '/api/tasks', { body: { goal: 'x', viberId: 'viber_nope-000' } }),
      404,
      'not_found',
    );
    expectError(await rest.request('GET', '/api/tasks/task_nope-000'), 404, 'not_found');
    expectError(await rest.request('POST', '/api/tasks/task_nope-000/stop'), 404, 'not_found');
    expectError(
      await rest.request('POST', '/api/tasks/task_nope-000/messages', {
        body: { message: 'hi', injectionMode: 'followup' },
      }),
      404,
      'not_found',
    );
    expectError(await rest.request('GET', '/api/tasks/task_nope-000/stream'), 404, 'not_found');
    expectError(
      await rest.request('POST', `/api/tasks/${done.id}/messages`, {
        body: { message: 'hi', injectionMode: 'sideways' },
      }),
      400,
      'validation_failed',
      /injectionMode/,
    );
    expectError(await rest.request('POST', `/api/tasks/${done.id}/stop`), 409, 'task_finished');
    expectError(
      await rest.request('POST', '/api/tasks', {
        body: { goal: 'x'.repeat(LIMITS.maxBodyBytes + 1), viberId: daemon.viberId },
      }),
      413,
      'payload_too_large',
    );

    // --- Everything else is intact ---
    expect(daemon.connections).toBe(1);
    expect(daemon.process.exitInfo).toBeUndefined();
    expect(gateway.process.exitInfo).toBeUndefined();
    expect(['online', 'busy']).toContain((await gateway.rest.getViber(daemon.viberId))?.presence);
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    const doneAgain = await gateway.rest.getTask(done.id);
    expect(doneAgain.task).toEqual(doneDetail.task);
    const replay = await withTimeout(
      (await gateway.follow(done.id)).finished,
      15_000,
      'the stored task replay',
    );
    expect(normalizeMessage(replay)).toEqual(normalizeMessage(before));
    expect(JSON.stringify(replay)).not.toContain('INJECTED');

    const after = await gateway.rest.createTask({
      goal: 'List the folder again.',
      viberId: daemon.viberId,
      options: { cwd },
    });
    const afterMessage = await withTimeout(
      (await gateway.follow(after.id)).finished,
      45_000,
      'a new task after the bad input',
    );
    expect(textsOf(afterMessage)).toEqual([FINAL_TEXT]);
    await raw.close();
  });

  it('returns the first response to a retried POST with the same Idempotency-Key', async () => {
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('idle');
    const key = { 'idempotency-key': 'create-once-1' };
    const first = await gateway.rest.createTask({ goal: 'Only once.', viberId: viber.id }, key);
    const retry = await gateway.rest.createTask({ goal: 'Only once.', viberId: viber.id }, key);
    expect(retry.id).toBe(first.id);
    expect((await gateway.rest.listTasks()).filter((task) => task.goal === 'Only once.')).toHaveLength(1);
    const other = await gateway.rest.request('POST', '/api/tasks', {
      body: { goal: 'Different.', viberId: viber.id },
      headers: key,
    });
    // 422 as the IETF Idempotency-Key draft says for a key reused with a different request.
    expectError(other, 422, 'idempotency_conflict');
  });
});
