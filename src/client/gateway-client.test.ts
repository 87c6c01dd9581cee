import { describe, expect, it } from 'vitest';
import { type Handler, sendJson, useLocalHttpServers } from '../../test/support/local-http-server.ts';
import { createGatewayClient } from './gateway-client.ts';
import { GatewayClientError } from './gateway-client-error.ts';

// JSON calls against a local impostor of the gateway: answers a real gateway never gives must be
// refused with a clear error, never handed to the caller. (route-calls.test.ts covers the real one.)

const startServer = useLocalHttpServers();

async function impostor(handler: Handler) {
  const server = await startServer(handler);
  const errors: GatewayClientError[] = [];
  const client = createGatewayClient({
    baseUrl: `${server.url}/`,
    token: 'ovo_token',
    onError: (error) => errors.push(error),
  });
  return { server, client, errors };
}

async function failure(promise: Promise<unknown>): Promise<GatewayClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!GatewayClientError.isInstance(error)) throw new Error(`expected a GatewayClientError, got ${error}`);
  return error;
}

const TASK_VIEW = {
  id: 'task_1',
  viberId: 'viber_1',
  goal: 'g',
  status: 'pending',
  options: {},
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  startedAt: null,
  endedAt: null,
  error: null,
  result: null,
  usage: null,
  lastSeq: 0,
  stopRequested: false,
};

describe('GatewayClient calls', () => {
  it('sends what the route table says and returns the checked answer', async () => {
    const { server, client } = await impostor((request, response) => {
      if (request.url === '/health')
        sendJson(response, 200, { status: 'ok', vibers: 1, tasks: 2, extra: true });
      else if (request.method === 'POST') sendJson(response, 201, TASK_VIEW);
      else sendJson(response, 200, { tasks: [TASK_VIEW], nextCursor: null });
    });
    // Unknown fields of an answer are dropped, not refused: a newer gateway may add some.
    expect(await client.call('health.get')).toEqual({ status: 'ok', vibers: 1, tasks: 2 });
    const created = await client.request('tasks.create', { body: { goal: 'g' }, idempotencyKey: 'key-1' });
    expect(created).toMatchObject({ status: 201, replayed: false, data: { id: 'task_1' } });
    await client.call('tasks.list', { query: { status: 'running', limit: 5 } });
    await client.call('tasks.list', { query: {} });

    const [health, create, list, bare] = server.requests;
    expect(health).toMatchObject({ method: 'GET', url: '/health' });
    expect(health?.headers).toMatchObject({ authorization: 'Bearer ovo_token', accept: 'application/json' });
    expect(create).toMatchObject({ method: 'POST', url: '/api/tasks', body: '{"goal":"g"}' });
    expect(create?.headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': 'key-1' });
    expect(list?.url).toBe('/api/tasks?status=running&limit=5');
    expect(bare?.url).toBe('/api/tasks');
  });

  it('encodes path parameters', async () => {
    const { server, client } = await impostor((_request, response) => sendJson(response, 202, TASK_VIEW));
    await client.call('tasks.stop', { params: { id: 'a/b c' } });
    expect(server.requests[0]?.url).toBe('/api/tasks/a%2Fb%20c/stop');
  });

  it('refuses an answer of the wrong shape, status or syntax as bad_response', async () => {
    const answers: Array<[number, unknown]> = [
      [200, { status: 'ok', vibers: 'two', tasks: 2 }],
      [200, TASK_VIEW],
      [200, 'not json {'],
      [200, ''],
    ];
    const { client, errors } = await impostor((_request, response) => {
      const [status, body] = answers.shift()!;
      sendJson(response, status, body);
    });
    const shape = await failure(client.call('health.get'));
    expect(shape).toMatchObject({ code: 'bad_response', status: 200, route: 'health.get', retryable: false });
    expect(shape.message).toMatch(/health\.get: answer does not match its schema: vibers: .*number/);

    const status = await failure(client.call('tasks.create', { body: { goal: 'g' } }));
    expect(status.message).toBe('tasks.create: answered 200, expected 201');

    expect((await failure(client.call('health.get'))).code).toBe('bad_response');
    expect((await failure(client.call('health.get'))).code).toBe('bad_response');
    expect(errors.map((error) => error.code)).toEqual(Array(4).fill('bad_response'));
  });

  it("carries the gateway's {error:{code,message}} and its status", async () => {
    const answers: Array<[number, unknown]> = [
      [404, { error: { code: 'not_found', message: 'task task_9 not found' } }],
      [409, { error: { code: 'task_finished', message: 'task task_9 already ended' } }],
      [503, { error: { code: 'internal', message: 'store busy', retryable: true } }],
      [502, '<html>Bad Gateway</html>'],
      [418, "I'm a teapot"],
    ];
    const { client } = await impostor((_request, response) => {
      const [status, body] = answers.shift()!;
      sendJson(response, status, body);
    });
    expect(await failure(client.call('tasks.get', { params: { id: 'task_9' } }))).toMatchObject({
      code: 'not_found',
      status: 404,
      message: 'task task_9 not found',
      retryable: false,
    });
    expect(await failure(client.call('tasks.stop', { params: { id: 'task_9' } }))).toMatchObject({
      code: 'task_finished',
      status: 409,
    });
    expect(await failure(client.call('health.get'))).toMatchObject({ code: 'internal', retryable: true });
    // A proxy's 502 page: the gateway behind it is down, which waiting may cure.
    expect(await failure(client.call('health.get'))).toMatchObject({ code: 'unreachable', retryable: true });
    const teapot = await failure(client.call('health.get'));
    expect(teapot).toMatchObject({ code: 'bad_response', status: 418 });
    expect(teapot.message).toContain("I'm a teapot");
  });

  it('checks the request against the route before sending anything', async () => {
    const { server, client } = await impostor((_request, response) => sendJson(response, 500, {}));
    const empty = await failure(client.call('tasks.create', { body: { goal: '  ' } }));
    expect(empty).toMatchObject({ code: 'validation_failed', status: 0 });
    expect(empty.message).toMatch(/^tasks\.create body: goal: /);
    const limit = await failure(client.call('tasks.list', { query: { limit: 0 } }));
    expect(limit.message).toMatch(/^tasks\.list query: limit: /);
    expect(server.requests).toEqual([]);
  });

  it('reports an unreachable gateway as retryable, and passes an abort through', async () => {
    const { server, client } = await impostor(() => undefined);
    await server.close();
    const down = await failure(client.call('health.get'));
    expect(down).toMatchObject({ code: 'unreachable', status: 0, retryable: true });
    expect(down.message).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+: fetch failed/);

    const { client: hanging } = await impostor(() => undefined);
    const abort = new AbortController();
    const call = hanging.call('health.get', { signal: abort.signal });
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });
});
