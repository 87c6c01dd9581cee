import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../test/support/fake-daemon.ts';
import { TestGateway } from '../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../test/support/wait.ts';
import { ErrorBodySchema, LIMITS, TaskDetailResponseSchema, TaskViewSchema } from '../protocol/index.ts';

/** A 4xx with a well-formed error body and nothing else (no stack, no extra fields). */
function expectError(
  response: { status: number; json: unknown },
  status: number,
  code: string,
  message?: RegExp,
) {
  expect(response.status).toBe(status);
  const body = ErrorBodySchema.strict().parse(response.json);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toMatch(/\n\s+at /);
}

describe('gateway REST', () => {
  let harness: TestGateway;
  beforeEach(async () => {
    harness = await TestGateway.start({ corsOrigins: ['https://board.example'] });
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it('registers vibers, shows the token once and lists them without it', async () => {
    const created = await harness.api('POST', '/api/vibers', { name: 'laptop' });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^viber_/),
      name: 'laptop',
      token: expect.stringMatching(/^ovd_/),
    });
    const list = await harness.api('GET', '/api/vibers');
    expect(list.json.vibers).toHaveLength(1);
    expect(list.json.vibers[0]).toMatchObject({
      id: created.json.id,
      name: 'laptop',
      presence: 'offline',
      info: null,
    });
    expect(JSON.stringify(list.json)).not.toContain(created.json.token);
  });

  it('answers malformed bodies with a precise 400 naming the field', async () => {
    expectError(await harness.api('POST', '/api/vibers', '{not json'), 400, 'invalid_json', /not valid JSON/);
    expectError(await harness.api('POST', '/api/vibers', ''), 400, 'invalid_json', /empty/);
    expectError(await harness.api('POST', '/api/vibers', {}), 400, 'validation_failed', /^name:/);
    expectError(
      await harness.api('POST', '/api/vibers', { name: 'a', extra: 1 }),
      400,
      'validation_failed',
      /extra/,
    );
    expectError(await harness.api('POST', '/api/vibers', [1]), 400, 'validation_failed');
    await harness.gateway.registerViber('only');
    expectError(await harness.api('POST', '/api/tasks', { goal: '' }), 400, 'validation_failed', /^goal:/);
    expectError(await harness.api('POST', '/api/tasks', { goal: 7 }), 400, 'validation_failed', /^goal:/);
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'x', options: { mode: 'yolo' } }),
      400,
      'validation_failed',
      /^options\.mode:/,
    );
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'x', messages: [{ role: 'system', content: 'x' }] }),
      400,
      'validation_failed',
      /^messages\.0\.role:/,
    );
    const big = 'x'.repeat(LIMITS.maxBodyBytes + 1);
    expectError(await harness.api('POST', '/api/tasks', { goal: big }), 413, 'payload_too_large');
    const task = await harness.api('POST', '/api/tasks', { goal: 'x' });
    expectError(
      await harness.api('POST', `/api/tasks/${task.json.id}/messages`, {
        message: 'hi',
        injectionMode: 'now',
      }),
      400,
      'validation_failed',
      /^injectionMode:/,
    );
    expectError(
      await harness.api('POST', `/api/tasks/${task.json.id}/messages`, { message: '  ' }),
      400,
      'validation_failed',
      /^message:/,
    );
    expectError(
      await harness.api('POST', `/api/tasks/${task.json.id}/approvals/a1`, { approved: 'yes' }),
      400,
      'validation_failed',
      /^approved:/,
    );
    expectError(await harness.api('GET', '/api/tasks?status=bogus'), 400, 'validation_failed', /^status:/);
    expectError(await harness.api('GET', '/api/tasks?limit=0'), 400, 'validation_failed', /^limit:/);
    expectError(
      await harness.api('GET', `/api/tasks/${task.json.id}/stream?after=-1`),
      400,
      'validation_failed',
      /^after:/,
    );
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'x' }, { 'idempotency-key': '' }),
      400,
      'bad_request',
    );
  });

  it('needs viberId unless exactly one viber is registered', async () => {
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'x' }),
      400,
      'no_viber',
      /POST \/api\/vibers/,
    );
    const only = await harness.gateway.registerViber('one');
    const task = await harness.api('POST', '/api/tasks', { goal: 'x' });
    expect(task.status).toBe(201);
    expect(TaskViewSchema.parse(task.json)).toMatchObject({
      viberId: only.id,
      status: 'pending',
      lastSeq: 0,
    });
    await harness.gateway.registerViber('two');
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'x' }),
      400,
      'validation_failed',
      /viberId: required.*2/,
    );
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'x', viberId: 'viber_nope' }),
      404,
      'not_found',
    );
  });

  it('answers unknown ids and routes with 404 JSON', async () => {
    expectError(await harness.api('GET', '/api/nothing'), 404, 'not_found', /no route GET \/api\/nothing/);
    expectError(await harness.api('GET', '/api/tasks/task_nope'), 404, 'not_found', /task task_nope/);
    expectError(await harness.api('POST', '/api/tasks/task_nope/stop'), 404, 'not_found');
    expectError(
      await harness.api('POST', '/api/tasks/task_nope/messages', { message: 'hi' }),
      404,
      'not_found',
    );
    expectError(
      await harness.api('POST', '/api/tasks/task_nope/approvals/a1', { approved: true }),
      404,
      'not_found',
    );
    expectError(await harness.api('GET', '/api/tasks/task_nope/stream'), 404, 'not_found');
    expectError(await harness.api('GET', '/api/vibers/viber_nope'), 404, 'not_found');
    expectError(await harness.api('POST', '/api/vibers/viber_nope/config-push'), 404, 'not_found');
    expectError(await harness.api('DELETE', '/api/vibers/viber_nope'), 404, 'not_found');
  });

  it('refuses config push to an offline viber and stores the daemon config:ack', async () => {
    const viber = await harness.gateway.registerViber('v');
    expectError(await harness.api('POST', `/api/vibers/${viber.id}/config-push`), 409, 'viber_offline');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    expect((await harness.api('POST', `/api/vibers/${viber.id}/config-push`)).status).toBe(202);
    await daemon.waitFor((message) => message.type === 'config:push');
    const validations = [
      { category: 'llm_keys' as const, status: 'verified' as const, checkedAt: new Date().toISOString() },
    ];
    daemon.send({ type: 'config:ack', configVersion: 'abc', validations });
    await waitFor(
      async () => (await harness.api('GET', `/api/vibers/${viber.id}`)).json.configState !== null,
    );
    const view = await harness.api('GET', `/api/vibers/${viber.id}`);
    expect(view.json.configState).toMatchObject({ configVersion: 'abc', validations });
    await daemon.close();
  });

  it('stops a task not yet delivered at once, and refuses to stop or message a finished one', async () => {
    const viber = await harness.gateway.registerViber('v');
    const task = await harness.api('POST', '/api/tasks', { goal: 'x' });
    const stopped = await harness.api('POST', `/api/tasks/${task.json.id}/stop`);
    expect(stopped.status).toBe(202);
    expect(stopped.json).toMatchObject({ status: 'stopped', stopRequested: true });
    expectError(
      await harness.api('POST', `/api/tasks/${task.json.id}/stop`),
      409,
      'task_finished',
      /stopped/,
    );
    expectError(
      await harness.api('POST', `/api/tasks/${task.json.id}/messages`, { message: 'hi' }),
      409,
      'task_finished',
    );
    expectError(
      await harness.api('POST', `/api/tasks/${task.json.id}/approvals/a1`, { approved: true }),
      409,
      'task_finished',
    );
    // Its submit left the outbox: a daemon connecting now receives nothing for it.
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const later = await harness.api('POST', '/api/tasks', { goal: 'y' });
    await daemon.waitFor((message) => message.type === 'task:submit');
    expect(daemon.ofType('task:submit').map((message) => message.taskId)).toEqual([later.json.id]);
    await daemon.close();
  });

  it('replays the first response for a repeated Idempotency-Key and creates one task', async () => {
    await harness.gateway.registerViber('v');
    const headers = { 'idempotency-key': 'create-1' };
    const first = await harness.api('POST', '/api/tasks', { goal: 'once' }, headers);
    const retry = await harness.api('POST', '/api/tasks', { goal: 'once' }, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const concurrent = await Promise.all(
      [1, 2, 3].map(() =>
        harness.api('POST', '/api/tasks', { goal: 'twice' }, { 'idempotency-key': 'create-2' }),
      ),
    );
    expect(new Set(concurrent.map((response) => response.json.id)).size).toBe(1);
    expect((await harness.api('GET', '/api/tasks')).json.tasks).toHaveLength(2);
    expectError(
      await harness.api('POST', '/api/tasks', { goal: 'different' }, headers),
      422,
      'idempotency_conflict',
    );
  });

  it('lists tasks newest first with filters and shows lifecycle events', async () => {
    const a = await harness.gateway.registerViber('a');
    const b = await harness.gateway.registerViber('b');
    const t1 = await harness.api('POST', '/api/tasks', { goal: 'one', viberId: a.id });
    const t2 = await harness.api('POST', '/api/tasks', { goal: 'two', viberId: b.id });
    const t3 = await harness.api('POST', '/api/tasks', { goal: 'three', viberId: a.id });
    const all = await harness.api('GET', '/api/tasks');
    expect(all.json.tasks.map((task: { id: string }) => task.id)).toEqual([
      t3.json.id,
      t2.json.id,
      t1.json.id,
    ]);
    const ofA = await harness.api('GET', `/api/tasks?viberId=${a.id}&status=pending`);
    expect(ofA.json.tasks.map((task: { id: string }) => task.id)).toEqual([t3.json.id, t1.json.id]);
    expect((await harness.api('GET', '/api/tasks?status=running')).json.tasks).toEqual([]);
    const detail = await harness.api('GET', `/api/tasks/${t1.json.id}`);
    expect(TaskDetailResponseSchema.parse(detail.json)).toMatchObject({ events: [], messages: [] });
  });

  it('allows only the configured CORS origins', async () => {
    const allowed = await fetch(`${harness.gateway.url}/health`, {
      headers: { origin: 'https://board.example' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://board.example');
    const other = await fetch(`${harness.gateway.url}/health`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
