import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../test/support/in-process/test-gateway.ts';
import {
  ErrorBodySchema,
  fillPath,
  pathParamNames,
  REST_ROUTES,
  type RestRoute,
  ROUTE_NAMES,
  type RouteName,
  routeOf,
} from '../protocol/index.ts';

// The route table matches the gateway: each entry's method and path, asked with a well-formed,
// authorized request in raw HTTP (or a WebSocket upgrade), reaches a handler. The gateway's
// router answers a path or method it lacks with 404 `no route <METHOD> <path>` (Hono answers
// a wrong method with that 404 too, never 405); any other answer, even a 404 for an id that does
// not exist or a 400 for an empty body, came from the route's own handler.

let harness: TestGateway;
let viber: { id: string; token: string };

beforeAll(async () => {
  harness = await TestGateway.start();
  viber = await harness.gateway.registerViber('walker');
});
afterAll(() => harness?.cleanup());

function headersFor(route: RestRoute): Record<string, string> {
  if (route.scope === 'public') return {};
  if (route.scope === 'node') return { authorization: `Bearer ${viber.token}`, 'x-viber-id': viber.id };
  return { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };
}

function pathFor(route: RestRoute): string {
  // The viber's own id where a route reads it (its config pull must get past authentication).
  const values = Object.fromEntries(pathParamNames(route.path).map((name) => [name, `walk_${name}`]));
  return fillPath(route.path, route.scope === 'node' ? { ...values, id: viber.id } : values);
}

/** Status and error of a raw HTTP request to the route; the body of a stream is not read. */
async function ask(route: RestRoute): Promise<{ status: number; error: string | undefined }> {
  const abort = new AbortController();
  const hasBody = route.method === 'POST' || route.method === 'PUT';
  const response = await fetch(`${harness.gateway.url}${pathFor(route)}`, {
    method: route.method,
    headers: { ...headersFor(route), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { body: '{}' } : {}),
    signal: abort.signal,
  });
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    return { status: response.status, error: undefined };
  }
  const parsed = ErrorBodySchema.safeParse(await response.json().catch(() => undefined));
  return { status: response.status, error: parsed.success ? parsed.data.error.message : undefined };
}

/** Whether the upgrade is accepted: the socket opens (refusals close it before or after). */
function upgrade(route: RestRoute): Promise<boolean> {
  const url = `${harness.gateway.url.replace(/^http/, 'ws')}${pathFor(route)}`;
  const socket: WebSocket = Reflect.construct(WebSocket, [url, { headers: headersFor(route) }]);
  return new Promise((resolve) => {
    socket.addEventListener('open', () => {
      socket.close();
      resolve(true);
    });
    socket.addEventListener('error', () => resolve(false));
  });
}

const noRoute = (answer: { status: number; error: string | undefined }) =>
  answer.status === 405 || (answer.status === 404 && (answer.error ?? '').startsWith('no route'));

describe('the gateway serves every route of the table', () => {
  it('tells a missing route from a missing resource', async () => {
    const tasks: RestRoute = REST_ROUTES['tasks.get'];
    expect(noRoute(await ask({ ...tasks, path: '/api/tasks/:id/nothing-here' }))).toBe(true);
    expect(noRoute(await ask({ ...tasks, method: 'PUT' }))).toBe(true);
    expect(noRoute(await ask(tasks))).toBe(false);
    expect(await upgrade({ ...routeOf('terminals.socket'), path: '/api/terminals/nope' })).toBe(false);
  });

  it.each(ROUTE_NAMES.map((name) => [name] as [RouteName]))('%s', async (name) => {
    const route = routeOf(name);
    if (route.kind === 'websocket') {
      expect(await upgrade(route)).toBe(true);
      return;
    }
    const answer = await ask(route);
    expect(noRoute(answer), `${route.method} ${route.path}: ${answer.status} ${answer.error}`).toBe(false);
    expect(answer.status, `${route.method} ${route.path}`).toBeLessThan(500);
    if (answer.status >= 400) expect(answer.error, 'a 4xx carries an {error} body').toBeDefined();
  });
});
