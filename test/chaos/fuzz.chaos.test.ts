import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DaemonMessageSchema, LIMITS, REST_ROUTES, type RestRoute } from '../../src/protocol/index.ts';
import { fillPath, pathParamNames } from '../../src/protocol/rest-route.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FakeDaemon } from '../support/fake-daemon.ts';
import { rawRequest } from '../support/rest-client.ts';
import { type GatewayHandle, spawnGateway } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';
import { secondsSince } from './chaos-stack.ts';
import { chaosSize, recordFigures } from './chaos-table.ts';
import { type FuzzCase, fuzzCases } from './zod-arbitrary.ts';

// Issue 12, item 4: property-based fuzzing, from the zod schemas of src/protocol, of every daemon
// frame (over a real daemon socket, after the connect handshake) and of every REST body of the
// route table (with the operator token), against one real gateway process. 0 crashes (the process
// stays up and /health answers), 0 5xx, and every frame the schema refuses is answered by an
// `error` (or a close with a code).

useE2eCleanup();

const CASES = chaosSize('FUZZ_CASES', 500, 10_000);
/** A frame that is not JSON, sent after each case: its `error` marks where the case's answers end. */
const SENTINEL = 'sentinel: not JSON';

function unionOptions(schema: unknown): unknown[] {
  return (schema as { _zod: { def: { options: unknown[] } } })._zod.def.options;
}

function refusedBySchema(text: string): boolean {
  if (text.length > LIMITS.maxFrameBytes) return true;
  try {
    return !DaemonMessageSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return true;
  }
}

async function healthy(gateway: GatewayHandle): Promise<boolean> {
  if (gateway.process.exitInfo) return false;
  const response = await fetch(`${gateway.url}/health`);
  return response.status === 200;
}

describe('fuzzing from the zod schemas', () => {
  it(`daemon frames: ${CASES} cases, the gateway answers each bad one and never falls over`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = { cases: 0 };
    const byMutation: Record<string, number> = {};
    let result = 'FAIL';
    try {
      const gateway = await spawnGateway();
      const viber = await gateway.rest.registerViber('fuzzed');
      const connect = () =>
        FakeDaemon.connect(gateway.wsUrl, { viberId: viber.id, token: viber.token, name: 'fuzzed' });
      let daemon = await connect();
      let refused = 0;
      let unanswered = 0;
      let closes = 0;
      const examples: string[] = [];
      const arbitrary = fc.oneof(
        ...unionOptions(DaemonMessageSchema).map((option) =>
          fuzzCases(option as never, LIMITS.maxFrameBytes + 200_000),
        ),
      );
      const cases: FuzzCase[] = fc.sample(arbitrary, CASES);
      for (const [index, fuzz] of cases.entries()) {
        byMutation[fuzz.mutation] = (byMutation[fuzz.mutation] ?? 0) + 1;
        const bad = refusedBySchema(fuzz.text);
        if (bad) refused++;
        const errorsBefore = daemon.ofType('error').length;
        daemon.send(fuzz.text);
        daemon.send(SENTINEL);
        const wanted = errorsBefore + 1 + (bad ? 1 : 0);
        const answered = await waitFor(
          () => daemon.ofType('error').length >= wanted || daemon.socket.readyState > 1,
          { timeoutMs: 10_000, description: 'an answer' },
        ).catch(() => false);
        if (daemon.socket.readyState > 1) {
          closes++;
          daemon = await connect();
        } else if (!answered) {
          unanswered++;
          if (examples.length < 3) examples.push(`${fuzz.mutation}: ${fuzz.text.slice(0, 200)}`);
        }
        if (index % 250 === 249)
          expect(await healthy(gateway), `/health after ${index + 1} cases`).toBe(true);
        figures.cases = index + 1;
      }
      expect(await healthy(gateway)).toBe(true);
      Object.assign(figures, {
        'refused by schema': refused,
        'answered by close': closes,
        unanswered,
        crashes: gateway.process.exitInfo ? 1 : 0,
        mutations: Object.entries(byMutation)
          .map(([name, count]) => `${name} ${count}`)
          .join('; '),
      });
      expect(examples).toEqual([]);
      expect(unanswered).toBe(0);
      await daemon.close();
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures('fuzz: daemon frames', result, figures);
    }
  });

  it(`REST bodies: ${CASES} cases over the route table, no 5xx`, async () => {
    const started = Date.now();
    const figures: Record<string, number | string> = { cases: 0 };
    let result = 'FAIL';
    try {
      const gateway = await spawnGateway();
      const routes = Object.entries(REST_ROUTES as Record<string, RestRoute>).filter(
        ([, route]) => route.kind === 'json',
      );
      const paramValue = fc.oneof(
        { weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
        { weight: 1, arbitrary: fc.constantFrom('..', '%', 'x'.repeat(5_000), 'operator-token', 'null') },
      );
      const arbitrary = fc.oneof(
        ...routes.map(([name, route]) =>
          fc.record({
            name: fc.constant(name),
            params: fc.record(
              Object.fromEntries(pathParamNames(route.path).map((param) => [param, paramValue])),
            ),
            body:
              route.kind === 'json' && route.body
                ? fuzzCases(route.body, LIMITS.maxBodyBytes + 50_000)
                : fc.oneof(
                    fc.constant<FuzzCase>({ text: '', mutation: 'no body' }),
                    fuzzCases(DaemonMessageSchema, 1_000),
                  ),
          }),
        ),
      );
      const statuses: Record<string, number> = {};
      const serverErrors: string[] = [];
      const cases = fc.sample(arbitrary, CASES);
      for (const [index, fuzz] of cases.entries()) {
        const route = routeByName(fuzz.name);
        const path = fillPath(route.path, fuzz.params);
        const response = await rawRequest(`${gateway.url}${path}`, route.method, {
          token: gateway.operatorToken,
          ...(fuzz.body.text === '' || route.method === 'GET' ? {} : { rawBody: fuzz.body.text }),
        }).catch((error: unknown) => ({ status: 0, text: String(error) }));
        const bucket = response.status === 0 ? 'no answer' : `${Math.floor(response.status / 100)}xx`;
        statuses[bucket] = (statuses[bucket] ?? 0) + 1;
        if (response.status >= 500 || response.status === 0) {
          if (serverErrors.length < 5)
            serverErrors.push(
              `${route.method} ${path.slice(0, 80)} (${fuzz.body.mutation}): ${response.status} ${response.text.slice(0, 200)}`,
            );
        }
        if (index % 250 === 249)
          expect(await healthy(gateway), `/health after ${index + 1} cases`).toBe(true);
        figures.cases = index + 1;
      }
      expect(await healthy(gateway)).toBe(true);
      Object.assign(figures, {
        routes: routes.length,
        ...statuses,
        crashes: gateway.process.exitInfo ? 1 : 0,
      });
      expect(serverErrors).toEqual([]);
      result = 'ok';
    } finally {
      figures['time s'] = secondsSince(started);
      recordFigures('fuzz: REST bodies', result, figures);
    }
  });
});

function routeByName(name: string): RestRoute {
  return (REST_ROUTES as Record<string, RestRoute>)[name]!;
}
