import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { SseRecorder } from '../../../test/support/sse-recorder.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { type BoardEvent, BoardEventSchema } from '../../protocol/index.ts';

const CANARY = 'canary-Ev3-secret-value-8812';
type EnvironmentUpdated = Extract<BoardEvent, { type: 'environment.updated' }>;

describe('environment board events (GET /api/events)', () => {
  let harness: TestGateway;
  let client: SseRecorder;
  const cleanups: Array<() => Promise<void> | void> = [];
  beforeEach(async () => {
    harness = await TestGateway.start();
    client = new SseRecorder(`${harness.gateway.url}/api/events`, {
      authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
    });
    await client.waitForEvents(1);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    client.abort();
    await harness.cleanup();
  });

  const events = (): BoardEvent[] =>
    client.events.map((event) => BoardEventSchema.parse(JSON.parse(event.data)));
  const environmentEvents = () => events().filter((event) => event.type.startsWith('environment.'));
  async function waitForEvent<T extends BoardEvent>(predicate: (event: BoardEvent) => boolean, what: string) {
    await waitFor(() => events().some(predicate), { timeoutMs: 10_000, description: what });
    return events().find(predicate) as T;
  }
  const bindingIs = (status: string) => (event: BoardEvent) =>
    event.type === 'environment.updated' && event.binding?.status === status;

  it('announces creation, mapping, the daemon reports and its redacted log, edits and removal', async () => {
    const { json: env } = await harness.api('POST', '/api/environments', {
      name: 'web-app',
      type: 'manual',
      secrets: { API_TOKEN: CANARY },
    });
    const created = await waitForEvent<EnvironmentUpdated>(
      (event) => event.type === 'environment.updated',
      'created',
    );
    expect(created).toEqual({
      type: 'environment.updated',
      environmentId: env.id,
      status: 'unmapped',
      binding: null,
    });

    const viber = await harness.gateway.registerViber('builder');
    const { json: mapped } = await harness.api('POST', `/api/environments/${env.id}/bindings`, {
      viberId: viber.id,
    });
    const pending = await waitForEvent<EnvironmentUpdated>(bindingIs('pending'), 'mapped');
    expect(pending).toMatchObject({ environmentId: env.id, status: 'preparing', binding: { id: mapped.id } });

    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    cleanups.push(() => daemon.close());
    await daemon.waitFor((message) => message.type === 'environment:prepare');
    const report = { bindingId: mapped.id, generation: 1 } as const;
    daemon.send({ type: 'environment:status', ...report, status: 'preparing' });
    daemon.send({ type: 'environment:log', ...report, stream: 'stdout', line: `token=${CANARY}` });
    daemon.send({ type: 'environment:status', ...report, status: 'ready', resolvedWorkingDir: '/w' });
    const ready = await waitForEvent<EnvironmentUpdated>(bindingIs('ready'), 'ready');
    expect(ready).toMatchObject({
      environmentId: env.id,
      status: 'ready',
      binding: { id: mapped.id, resolvedWorkingDir: '/w', lastError: null, generation: 1 },
    });
    // In the order the daemon sent them; the log line redacted by the gateway as well.
    expect(
      environmentEvents()
        .slice(2)
        .map((event) => (event.type === 'environment.updated' ? event.binding?.status : event)),
    ).toEqual([
      'preparing',
      {
        type: 'environment.log',
        bindingId: mapped.id,
        line: expect.objectContaining({
          seq: 1,
          generation: 1,
          stream: 'stdout',
          line: 'token=[redacted:API_TOKEN]',
        }),
      },
      'ready',
    ]);

    // A report about an older generation changes nothing and announces nothing.
    const before = environmentEvents().length;
    daemon.send({
      type: 'environment:status',
      bindingId: mapped.id,
      generation: 0 as never,
      status: 'error',
    });
    daemon.send({ type: 'environment:log', ...report, stream: 'system', line: 'after the stale report' });
    await waitForEvent((event) => event.type === 'environment.log' && event.line.stream === 'system', 'log');
    expect(
      environmentEvents()
        .slice(before)
        .map((event) => event.type),
    ).toEqual(['environment.log']);

    // An edit of the code-execution fields marks the binding stale: refetch the environment.
    await harness.api('PUT', `/api/environments/${env.id}`, { setupScript: 'true\n' });
    await waitForEvent(
      (event) =>
        event.type === 'environment.updated' && event.binding === null && event.status === 'preparing',
      'edited',
    );
    await harness.api('DELETE', `/api/environments/${env.id}`);
    await waitForEvent(
      (event) => event.type === 'environment.removed' && event.environmentId === env.id,
      'removed',
    );
    expect(JSON.stringify(client.events)).not.toContain(CANARY);
  });
});
