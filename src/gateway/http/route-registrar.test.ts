import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LIMITS, type OperatorScope, REST_ROUTES } from '../../protocol/index.ts';
import { ALL_OPERATOR_SCOPES, type Principal } from '../auth/principal.ts';
import { errorHandler, notFoundHandler } from './http-errors.ts';
import { readBody } from './read-body.ts';
import type { GatewayEnv } from './route-context.ts';
import { routes } from './route-registrar.ts';

// The registrar on its own: method and path from the table, params, query and body parsed by the
// entry's schemas (errors as the gateway has always worded them), the entry's success status.
// That the gateway registers every entry, and that every answer passes its response schema, is
// src/client/route-table-served.test.ts and src/client/route-calls.test.ts.

const seen: unknown[] = [];

/** A caller as `authenticateRequests` would set it; the test picks it with `x-test-scopes`. */
function principal(scopes: readonly OperatorScope[], role: Principal['role'] = 'operator'): Principal {
  return { deviceId: 'd1', role, scopes: new Set(scopes), via: 'bearer' };
}

function appWith(registered: Hono<GatewayEnv>): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler(pino({ level: 'silent' })));
  app.notFound(notFoundHandler);
  app.use('*', async (c, next) => {
    const scopes = c.req.header('x-test-scopes');
    if (scopes === 'node') c.set('principal', principal([], 'node'));
    else if (scopes !== 'none') {
      c.set(
        'principal',
        principal(scopes === undefined ? ALL_OPERATOR_SCOPES : (scopes.split(',') as OperatorScope[])),
      );
    }
    await next();
  });
  app.use('*', readBody(LIMITS.maxBodyBytes));
  return app.route('/', registered);
}

const app = appWith(
  routes()
    .json('tasks.approve', ({ params, body }) => {
      seen.push({ params, body });
      return { taskId: params.id, approvalId: params.approvalId, approved: body.approved };
    })
    .json('tasks.list', ({ query }) => {
      seen.push(query);
      return { tasks: [], nextCursor: null };
    })
    .json('environments.update', ({ params, body }) => {
      seen.push({ params, body });
      return {} as never;
    })
    .stream('events.stream', () => new Response('data: x\n\n')).app,
);

async function call(method: string, path: string, body?: string, scopes?: string) {
  seen.length = 0;
  const response = await app.request(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(scopes === undefined ? {} : { 'x-test-scopes': scopes }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, json: await response.json().catch(() => undefined) };
}

describe('routes registered from the table', () => {
  it("parses params and body, and answers the entry's success status with the handler's data", async () => {
    const answer = await call('POST', '/api/tasks/t%201/approvals/appr_1', '{"approved":true}');
    expect(answer.status).toBe(202);
    expect(REST_ROUTES['tasks.approve'].responses[202].parse(answer.json)).toEqual({
      taskId: 't 1',
      approvalId: 'appr_1',
      approved: true,
    });
    expect(seen).toEqual([{ params: { id: 't 1', approvalId: 'appr_1' }, body: { approved: true } }]);
  });

  it('refuses bad params before the body, and a bad body naming the field', async () => {
    const badParam = await call('POST', '/api/tasks/t1/approvals/a%20b', 'not json');
    expect(badParam).toEqual({
      status: 400,
      json: {
        error: {
          code: 'validation_failed',
          message: 'approvalId: must be 1 to 200 visible ASCII characters',
        },
      },
    });
    const badBody = await call('POST', '/api/tasks/t1/approvals/a', '{"approved":"yes"}');
    expect(badBody.status).toBe(400);
    expect(badBody.json.error).toMatchObject({ code: 'validation_failed', message: /^approved: / });
    expect((await call('POST', '/api/tasks/t1/approvals/a', '')).json.error.code).toBe('invalid_json');
    expect(seen).toEqual([]);
  });

  it('coerces the query, takes an empty value for an absent one, and names a bad one', async () => {
    expect((await call('GET', '/api/tasks?limit=5&status=running&viberId=')).status).toBe(200);
    expect(seen).toEqual([{ limit: 5, status: 'running' }]);
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=x', 'limit'],
      ['status=bogus', 'status'],
    ]) {
      const answer = await call('GET', `/api/tasks?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.json.error.message, query).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('reads a PUT body itself, under the same limit', async () => {
    expect((await call('PUT', '/api/environments/e1', '{"description":"d"}')).status).toBe(200);
    expect(seen).toEqual([{ params: { id: 'e1' }, body: { description: 'd' } }]);
    const big = JSON.stringify({ description: 'x'.repeat(LIMITS.maxBodyBytes) });
    expect((await call('PUT', '/api/environments/e1', big)).json.error.code).toBe('payload_too_large');
  });

  it("guards every route with its entry's scope before looking at its input", async () => {
    const nobody = await call('POST', '/api/tasks/t1/approvals/a%20b', 'not json', 'none');
    expect(nobody.status).toBe(401);
    const lacking = await call('POST', '/api/tasks/t1/approvals/a%20b', 'not json', 'tasks.read');
    expect(lacking).toEqual({
      status: 403,
      json: {
        error: {
          code: 'forbidden',
          message:
            'this device lacks the scope approvals: an operator with devices.admin can grant it on the Devices page',
        },
      },
    });
    expect(seen).toEqual([]);
    expect((await call('GET', '/api/tasks', undefined, 'node')).json.error.message).toMatch(/node\) token/);
    expect((await app.request('/api/events', { headers: { 'x-test-scopes': 'none' } })).status).toBe(401);
    expect((await call('GET', '/api/tasks', undefined, 'tasks.read')).status).toBe(200);
  });

  it('checks a scope the body asks for once the body is parsed', async () => {
    const secrets = '{"secrets":{"TOKEN":"abcd"}}';
    const denied = await call('PUT', '/api/environments/e1', secrets, 'environments.write');
    expect(denied.status).toBe(403);
    expect(denied.json.error.message).toMatch(/secrets\.write/);
    expect(seen).toEqual([]);
    expect(
      (await call('PUT', '/api/environments/e1', '{"description":"d"}', 'environments.write')).status,
    ).toBe(200);
    expect(
      (await call('PUT', '/api/environments/e1', secrets, 'environments.write,secrets.write')).status,
    ).toBe(200);
  });

  it('registers only the method of the entry, and streams at the entry path', async () => {
    expect((await call('DELETE', '/api/tasks')).json.error.message).toBe('no route DELETE /api/tasks');
    expect(await (await app.request('/api/events')).text()).toBe('data: x\n\n');
  });
});

describe('the route modules', () => {
  it('take every method and path from the table, never restating one', () => {
    const root = join(import.meta.dirname, '..');
    const modules = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('-routes.ts'),
    );
    expect(modules.length).toBeGreaterThanOrEqual(6);
    for (const file of modules) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(text, file).not.toMatch(/\.(get|post|put|delete|on)\(\s*'\//);
      expect(text, file).not.toMatch(/new Hono\b/);
    }
  });
});
