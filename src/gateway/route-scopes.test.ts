import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newIdentity,
  type PairedOperator,
  pairOperator,
  RawSocket,
  rawCall,
  rawConnect,
  wsBase,
} from '../../test/support/in-process/device-clients.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../test/support/in-process/test-gateway.ts';
import { rawRequest } from '../../test/support/rest-client.ts';
import {
  fillPath,
  type OperatorScope,
  OperatorScopeSchema,
  pathParamNames,
  type RestRoute,
  ROUTE_NAMES,
  type RouteName,
  routeOf,
  WS_CLOSE,
} from '../protocol/index.ts';
import { terminalSocketPath } from './terminals/terminal-socket-path.ts';

// The route table is the one list of what the gateway serves and who may call it. This walks every
// entry of it (ROUTE_NAMES: a route added to the table is walked too, and fails here until it is
// guarded) against a running gateway: without credentials, with a viber's (node) token, with an
// operator device lacking the route's scope, and with one holding exactly it; over REST and over
// the operator socket, whose requests run the same routes.

/** The routes anyone may call: the health check and the board's sign-in exchange. */
const PUBLIC_ROUTES: readonly RouteName[] = [
  'health.get',
  'session.create',
  'session.challenge',
  'session.logout',
  // A platform's updates: verified by the platform's signature or secret token (docs/channels.md).
  'channels.webhook',
];
const ALL_SCOPES: readonly OperatorScope[] = OperatorScopeSchema.options;
const SECRET = 'a-secret-value-long-enough-123';

/**
 * A request that meets each further scope condition of the table (`alsoNeeds`), per route. A route
 * given a condition without a case here fails the walk: the condition could not be proven.
 */
const ALSO_NEEDS_CASES: Partial<Record<RouteName, { query?: Record<string, string>; body?: unknown }>> = {
  'environments.create': { body: { name: 'scoped', type: 'manual', secrets: { API_KEY: SECRET } } },
  'environments.update': { body: { secrets: { API_KEY: SECRET } } },
  'terminals.socket': { query: {} },
  'desktop.socket': { query: { access: 'control' } },
  'settings.model.update': { body: { apiKeys: { openai: SECRET } } },
};

let harness: TestGateway;
let viber: { id: string; token: string };
/** Per scope: a device holding only it, and a device holding every scope but it. */
const only = new Map<OperatorScope, PairedOperator>();
const without = new Map<OperatorScope, PairedOperator>();
/** Devices holding a route's scope and its further one. */
let environmentsAndSecrets: PairedOperator;
let terminalsReadWrite: PairedOperator;
let vibersAndSecrets: PairedOperator;

beforeAll(async () => {
  // No loopback auto-approval: a node without credentials must wait for an operator here.
  // Many refusals come from this one address: the failure limit is not what this test is about.
  harness = await TestGateway.start({ autoApproveLoopbackNodes: false, authFailureLimit: { max: 100_000 } });
  viber = await harness.gateway.registerViber('scope-walk');
  for (const scope of ALL_SCOPES) {
    only.set(scope, await pairOperator(harness, [scope]));
    without.set(
      scope,
      await pairOperator(
        harness,
        ALL_SCOPES.filter((held) => held !== scope),
      ),
    );
  }
  environmentsAndSecrets = await pairOperator(harness, ['environments.write', 'secrets.write']);
  terminalsReadWrite = await pairOperator(harness, ['terminals.read', 'terminals.write']);
  vibersAndSecrets = await pairOperator(harness, ['vibers.admin', 'secrets.write']);
});

afterAll(async () => {
  for (const device of [...only.values(), ...without.values()]) await device.connection.close();
  await environmentsAndSecrets?.connection.close();
  await terminalsReadWrite?.connection.close();
  await harness?.cleanup();
});

const device = (devices: Map<OperatorScope, PairedOperator>, scope: OperatorScope): PairedOperator => {
  const found = devices.get(scope);
  if (!found) throw new Error(`no device for ${scope}`);
  return found;
};

/** Path parameters: dummies (the scope is checked before they are), but a viber's own id for `node` routes. */
function paramsOf(route: RestRoute): Record<string, string> {
  return Object.fromEntries(
    pathParamNames(route.path).map((name) => [name, route.scope === 'node' ? viber.id : `dummy-${name}`]),
  );
}

/** A minimal request for a route, from its entry: the refusal it meets must be about the caller. */
function requestOf(route: RestRoute, extra: { query?: Record<string, string>; body?: unknown } = {}) {
  const query = new URLSearchParams(extra.query ?? {}).toString();
  const body = route.kind === 'json' && route.body ? (extra.body ?? {}) : undefined;
  return {
    method: route.method,
    path: `${fillPath(route.path, paramsOf(route))}${query ? `?${query}` : ''}`,
    body,
  };
}

/** A REST call as `token` (null: no credentials); the stream of an SSE route is cancelled once answered. */
async function callRest(route: RestRoute, token: string | null, extra: Parameters<typeof requestOf>[1] = {}) {
  const { method, path, body } = requestOf(route, extra);
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  if (route.kind === 'sse') {
    const controller = new AbortController();
    const response = await fetch(`${harness.gateway.url}${path}`, { headers, signal: controller.signal });
    const text = response.ok ? '' : await response.text();
    controller.abort();
    return { status: response.status, error: text ? JSON.parse(text).error : undefined };
  }
  const response = await rawRequest<{ error?: { code: string; message: string } }>(
    `${harness.gateway.url}${path}`,
    method,
    { token, ...(body !== undefined ? { body } : {}) },
  );
  return { status: response.status, error: response.body?.error };
}

/** The same request over the operator socket of `device`. */
async function callSocket(name: RouteName, route: RestRoute, device: PairedOperator, extra = {}) {
  const { body } = requestOf(route, extra);
  const params = paramsOf(route);
  const answer = await rawCall(device.connection, {
    id: `${name}-${Math.random().toString(36).slice(2)}`,
    method: name,
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(body !== undefined ? { body } : {}),
  });
  return { status: answer.status, error: answer.ok ? undefined : answer.error };
}

const expectUnauthorized = (answer: { status: number; error?: { code: string } }) => {
  expect(answer.status).toBe(401);
  expect(answer.error?.code).toBe('unauthorized');
};
const expectForbidden = (
  answer: { status: number; error?: { code: string; message: string } },
  scope?: string,
) => {
  expect(answer.status).toBe(403);
  expect(answer.error?.code).toBe('forbidden');
  if (scope) expect(answer.error?.message).toContain(scope);
};
/** Let through: whatever the dummy input then meets (404, 400, a success), never a refusal of the caller. */
const expectAdmitted = (answer: { status: number; error?: { code: string; message: string } }) => {
  expect([401, 403], JSON.stringify(answer.error)).not.toContain(answer.status);
  expect(answer.status, JSON.stringify(answer.error)).toBeLessThan(500);
};

describe('the route table', () => {
  it('has exactly the expected public routes', () => {
    expect(ROUTE_NAMES.filter((name) => routeOf(name).scope === 'public').sort()).toEqual(
      [...PUBLIC_ROUTES].sort(),
    );
  });

  it('has a proving case for every further scope condition', () => {
    for (const name of ROUTE_NAMES) {
      for (const condition of routeOf(name).alsoNeeds ?? []) {
        const proving = ALSO_NEEDS_CASES[name];
        expect(proving, `${name}: no case for "${condition.when}"`).toBeDefined();
        expect(condition.applies({ query: proving?.query ?? {}, body: proving?.body }), name).toBe(true);
      }
    }
  });
});

describe.each(ROUTE_NAMES.filter((name) => !PUBLIC_ROUTES.includes(name)))('%s', (name) => {
  const route = routeOf(name);

  if (route.kind === 'websocket') {
    it('refuses a device without the socket scope and admits one with it', async () => {
      await checkSocket(name);
    });
    return;
  }

  it('refuses a caller without credentials (401)', async () => {
    expectUnauthorized(await callRest(route, null));
  });

  it('refuses an unknown token (401)', async () => {
    expectUnauthorized(await callRest(route, 'ovd_not-a-token-anyone-was-given'));
  });

  if (route.scope === 'node') {
    it('refuses operator tokens, admits its own viber', async () => {
      expectForbidden(await callRest(route, TEST_OPERATOR_TOKEN));
      expectForbidden(await callRest(route, device(only, 'tasks.read').token));
      expectAdmitted(await callRest(route, viber.token));
      if (route.kind === 'json')
        expectForbidden(await callSocket(name, route, device(without, 'devices.admin')));
    });
    return;
  }

  it('refuses a viber (node) token (403)', async () => {
    expectForbidden(await callRest(route, viber.token));
  });

  const scope = route.scope;
  if (scope === 'operator' || scope === 'public') {
    it('admits any operator device', async () => {
      expectAdmitted(await callRest(route, device(only, 'tasks.read').token));
      if (route.kind === 'json') expectAdmitted(await callSocket(name, route, device(only, 'tasks.read')));
    });
    return;
  }

  it(`refuses an operator device without ${scope} (403), over REST and the operator socket`, async () => {
    const lacking = device(without, scope);
    expectForbidden(await callRest(route, lacking.token), scope);
    if (route.kind === 'json') expectForbidden(await callSocket(name, route, lacking), scope);
  });

  it(`admits a device holding only ${scope}`, async () => {
    const holding = device(only, scope);
    expectAdmitted(await callRest(route, holding.token));
    if (route.kind === 'json') expectAdmitted(await callSocket(name, route, holding));
  });

  for (const condition of route.alsoNeeds ?? []) {
    it(`needs ${condition.scope} too when ${condition.when}`, async () => {
      const proving = ALSO_NEEDS_CASES[name] ?? {};
      const holding = device(only, scope);
      expectForbidden(await callRest(route, holding.token, proving), condition.scope);
      if (route.kind === 'json')
        expectForbidden(await callSocket(name, route, holding, proving), condition.scope);
      const both = [environmentsAndSecrets, terminalsReadWrite, vibersAndSecrets].find(
        (candidate) => candidate.scopes.includes(scope) && candidate.scopes.includes(condition.scope),
      );
      if (!both) throw new Error(`no device holds ${scope} and ${condition.scope}`);
      expectAdmitted(await callRest(route, both.token, proving));
      if (route.kind === 'json') expectAdmitted(await callSocket(name, route, both, proving));
    });
  }
});

// ---- the sockets ----

/** The first frame after a handshake, or how the socket closed. */
async function afterHandshake(
  socket: RawSocket,
): Promise<{ frame?: { type: string }; close?: { code: number; reason: string } }> {
  const frame = await socket.next(10_000).catch(() => undefined);
  if (frame) return { frame };
  return { close: await socket.closed };
}

async function expectRefused(
  answer: { socket: RawSocket; answer: { type: string; code?: string } },
  code: string,
) {
  expect(answer.answer).toMatchObject({ type: 'connect.refused', code });
  expect((await answer.socket.closed).code).toBe(WS_CLOSE.unauthorized);
}

/** A device that connects with nothing but a new key is not let in: it waits for an operator. */
async function expectPairingOnly(path: string, role: 'operator' | 'node') {
  const { socket, answer } = await rawConnect(harness, path, await newIdentity(), { role });
  expect(answer.type).toBe('connect.pairing');
  await socket.close();
}

async function checkSocket(name: RouteName): Promise<void> {
  switch (name) {
    case 'operator.socket': {
      const path = routeOf(name).path;
      // A node's token on the operator socket, in either role.
      await expectRefused(
        await rawConnect(harness, path, await newIdentity(), { role: 'operator', token: viber.token }),
        'scope_denied',
      );
      await expectRefused(
        await rawConnect(harness, path, await newIdentity(), { role: 'node', token: viber.token }),
        'scope_denied',
      );
      await expectRefused(
        await rawConnect(harness, path, await newIdentity(), { role: 'operator', token: 'ovd_unknown' }),
        'unauthorized',
      );
      // An upgrade whose bearer is no one's is refused before any challenge.
      const badBearer = new RawSocket(`${wsBase(harness)}${path}`, { authorization: 'Bearer ovd_unknown' });
      await expectRefused({ socket: badBearer, answer: await badBearer.next() }, 'unauthorized');
      await expectPairingOnly(path, 'operator');
      // Any operator, whatever its scopes.
      for (const scope of ALL_SCOPES) {
        const held = device(only, scope);
        const { socket, answer } = await rawConnect(harness, path, held.identity, {
          role: 'operator',
          token: held.token,
        });
        expect(answer).toMatchObject({ type: 'connect.ok', role: 'operator', scopes: [scope] });
        await socket.close();
      }
      return;
    }
    case 'terminals.socket': {
      const path = terminalSocketPath();
      const open = async (held: PairedOperator, access?: 'read') => {
        const { socket, answer } = await rawConnect(
          harness,
          `${path}${access ? '?access=read' : ''}`,
          held.identity,
          {
            role: 'operator',
            token: held.token,
          },
        );
        expect(answer.type).toBe('connect.ok');
        const after = await afterHandshake(socket);
        await socket.close();
        return after;
      };
      // Without terminals.read: refused whatever it asks.
      expect((await open(device(without, 'terminals.read'))).close?.code).toBe(WS_CLOSE.forbidden);
      const readOnlyAsked = await open(device(without, 'terminals.read'), 'read');
      expect(readOnlyAsked.close?.code).toBe(WS_CLOSE.forbidden);
      expect(readOnlyAsked.close?.reason).toContain('terminals.read');
      // terminals.read alone: a read-only view, nothing more (alsoNeeds: terminals.write).
      const writeAsked = await open(device(only, 'terminals.read'));
      expect(writeAsked.close?.code).toBe(WS_CLOSE.forbidden);
      expect(writeAsked.close?.reason).toContain('terminals.write');
      expect((await open(device(only, 'terminals.read'), 'read')).frame).toMatchObject({
        type: 'terminal:ready',
        access: 'read',
      });
      expect((await open(terminalsReadWrite)).frame).toMatchObject({
        type: 'terminal:ready',
        access: 'write',
      });
      // A node's token is no operator's.
      await expectRefused(
        await rawConnect(harness, path, await newIdentity(), { role: 'operator', token: viber.token }),
        'scope_denied',
      );
      await expectPairingOnly(path, 'operator');
      return;
    }
    case 'desktop.socket': {
      // The viber has no live view here: an admitted viewer is told so, which proves the admission.
      const open = async (held: PairedOperator, access?: 'control') => {
        const query = `?viber=${viber.id}${access ? `&access=${access}` : ''}`;
        const { socket, answer } = await rawConnect(harness, `${routeOf(name).path}${query}`, held.identity, {
          role: 'operator',
          token: held.token,
        });
        expect(answer.type).toBe('connect.ok');
        const after = await afterHandshake(socket);
        await socket.close();
        return after;
      };
      const refused = await open(device(without, 'terminals.read'));
      expect(refused.close?.code).toBe(WS_CLOSE.forbidden);
      expect(refused.close?.reason).toContain('terminals.read');
      const controlAsked = await open(device(only, 'terminals.read'), 'control');
      expect(controlAsked.close?.code).toBe(WS_CLOSE.forbidden);
      expect(controlAsked.close?.reason).toContain('terminals.write');
      expect((await open(device(only, 'terminals.read'))).frame).toMatchObject({ type: 'desktop:error' });
      expect((await open(terminalsReadWrite, 'control')).frame).toMatchObject({ type: 'desktop:error' });
      await expectRefused(
        await rawConnect(harness, `${routeOf(name).path}?viber=${viber.id}`, await newIdentity(), {
          role: 'operator',
          token: viber.token,
        }),
        'scope_denied',
      );
      await expectPairingOnly(`${routeOf(name).path}?viber=${viber.id}`, 'operator');
      return;
    }
    case 'daemon.socket': {
      const path = routeOf(name).path;
      // Operator credentials are no node's: the operator token, an operator device's token, either role.
      await expectRefused(
        await rawConnect(harness, path, await newIdentity(), { role: 'node', token: TEST_OPERATOR_TOKEN }),
        'scope_denied',
      );
      const operator = device(only, 'tasks.read');
      await expectRefused(
        await rawConnect(harness, path, operator.identity, { role: 'operator', token: operator.token }),
        'scope_denied',
      );
      await expectRefused(
        await rawConnect(harness, path, operator.identity, { role: 'node', token: operator.token }),
        'scope_denied',
      );
      // The protocol document's header upgrade with an operator token.
      const headers = new RawSocket(`${wsBase(harness)}${path}`, {
        authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
        'x-viber-id': viber.id,
      });
      expect((await headers.closed).code).toBe(WS_CLOSE.forbidden);
      await expectPairingOnly(path, 'node');
      // The viber's own token, as a node: admitted.
      const { socket, answer } = await rawConnect(harness, path, await newIdentity(), {
        role: 'node',
        token: viber.token,
        viberId: viber.id,
      });
      expect(answer).toMatchObject({ type: 'connect.ok', role: 'node', viberId: viber.id });
      await socket.close();
      return;
    }
    default:
      throw new Error(`${name}: a socket route this walk does not know; add its checks`);
  }
}
