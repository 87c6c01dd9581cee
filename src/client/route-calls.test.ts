import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../test/support/wait.ts';
import {
  type GatewayMessage,
  matchRoute,
  ROUTE_NAMES,
  type RouteName,
  type TaskReport,
} from '../protocol/index.ts';
import type { BoardFeedItem } from './board-events.ts';
import { connectDesktop } from './desktop-connection.ts';
import { generateDeviceKeys, identityFromKeyPair } from './device-identity.ts';
import { createGatewayClient, type GatewayClient } from './gateway-client.ts';
import { connectOperatorSocket } from './operator-socket.ts';
import type { TaskStreamChunk } from './task-stream.ts';

// Every route of the table called through the client against a real gateway (in process) with a
// protocol-speaking stand-in daemon: each answer passed the route's own response schema, or the
// call would have thrown. The last test checks that no route was left out.

/**
 * Routes the client does not speak: the daemon's own socket (FakeDaemon exercises it here), and a
 * task's screenshot, which the board loads by its URL in an <img> (`client.url`): its answers are
 * checked in src/gateway/tasks/task-screenshot.test.ts and test/browser/visual-evidence.test.ts;
 * and the metrics, which a Prometheus scraper reads (test/e2e/metrics.test.ts); a channel's webhook,
 * which chat platforms call signed (src/gateway/channels/channels-webhook.test.ts, test/e2e/channels-telegram.test.ts).
 */
const NOT_CLIENT_ROUTES: RouteName[] = [
  'daemon.socket',
  'tasks.screenshot',
  'metrics.get',
  'channels.webhook',
];

let harness: TestGateway;
let daemon: FakeDaemon;
let viberId: string;
const called = new Set<RouteName>();

/** A client whose every successful HTTP call is recorded under its route name. */
function clientFor(options: { token?: string; headers?: Record<string, string> } = {}): GatewayClient {
  return createGatewayClient({
    baseUrl: harness.gateway.url,
    ...options,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const route = matchRoute(init.method ?? 'GET', new URL(input).pathname);
      if (route && response.ok) called.add(route.name);
      return response;
    },
  });
}
let client: GatewayClient;

const nextCommand = <T extends GatewayMessage['type']>(type: T, from = 0) =>
  daemon.waitFor<Extract<GatewayMessage, { type: T }>>((message) => message.type === type, { from });

beforeAll(async () => {
  harness = await TestGateway.start();
  client = clientFor({ token: TEST_OPERATOR_TOKEN });
});
afterAll(async () => {
  await daemon?.close();
  await harness?.cleanup();
});

describe('every route through the client, against a real gateway', () => {
  it('health, vibers, and the viber config push and pull', async () => {
    expect(await client.call('health.get')).toEqual({
      status: 'ok',
      vibers: 0,
      tasks: 0,
      version: expect.any(String),
    });
    const first = await client.request('vibers.register', {
      body: { name: 'routes' },
      idempotencyKey: 'reg-1',
    });
    const retry = await client.request('vibers.register', {
      body: { name: 'routes' },
      idempotencyKey: 'reg-1',
    });
    expect(first).toMatchObject({ status: 201, replayed: false });
    expect(retry).toMatchObject({ status: 201, replayed: true, data: first.data });
    viberId = first.data.id;
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId, token: first.data.token });

    expect((await client.call('vibers.list')).vibers.map((viber) => viber.id)).toEqual([viberId]);
    expect(await client.call('vibers.get', { params: { id: viberId } })).toMatchObject({
      presence: 'online',
    });
    expect(await client.call('vibers.configPush', { params: { id: viberId } })).toMatchObject({ viberId });
    await nextCommand('config:push');
    const node = clientFor({ token: first.data.token, headers: { 'x-viber-id': viberId } });
    expect(await node.call('vibers.configPull', { params: { id: viberId } })).toMatchObject({
      viberId,
      bindings: [],
    });
    // The model settings (docs/settings.md): the key is write-only, the viber's own pull carries it.
    const pushes = daemon.received.length;
    const settings = await client.call('settings.model.update', {
      body: { model: 'openai/gpt-4.1', apiKeys: { openai: 'sk-route-calls-key' } },
    });
    expect(settings).toMatchObject({ provider: 'openai', keys: { openai: { set: true } }, version: 1 });
    await nextCommand('config:push', pushes);
    expect((await client.call('settings.model.get')).model).toBe('openai/gpt-4.1');
    expect(await node.call('vibers.modelSettingsPull', { params: { id: viberId } })).toMatchObject({
      apiKeys: { openai: 'sk-route-calls-key' },
    });
  });

  it('tasks: create, steer, approve, report, stop, and the stream to [DONE], with board events', async () => {
    const feed: BoardFeedItem[] = [];
    const stopEvents = new AbortController();
    const following = (async () => {
      for await (const item of client.followBoardEvents({ signal: stopEvents.signal })) feed.push(item);
    })().catch(() => undefined);
    await waitFor(() => feed.some((item) => item.kind === 'ready'), { description: 'events.ready' });

    const task = await client.call('tasks.create', {
      body: { goal: 'route walk', viberId },
      idempotencyKey: 't-1',
    });
    expect(task).toMatchObject({ status: 'pending', viberId });
    const submit = await nextCommand('task:submit');
    daemon.send({ type: 'command:ack', commandId: submit.commandId });
    const chunks = [
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'walking' },
      { type: 'tool-approval-request', approvalId: 'appr-1', toolCallId: 'call-1' },
    ];
    daemon.send({ type: 'task:started', taskId: task.id, seq: 1, spaceId: 's' });
    chunks.forEach((chunk, index) => {
      daemon.send({ type: 'task:stream-chunk', taskId: task.id, seq: index + 2, chunk });
    });
    const params = { id: task.id };
    await waitFor(async () => (await client.call('tasks.get', { params })).task.lastSeq === 4);

    expect(
      await client.call('tasks.approve', {
        params: { ...params, approvalId: 'appr-1' },
        body: { approved: true },
      }),
    ).toEqual({ taskId: task.id, approvalId: 'appr-1', approved: true });
    const message = await client.call('tasks.message', { params, body: { message: 'and report' } });
    expect(message).toMatchObject({ taskId: task.id, injectionMode: 'followup', deliveredAt: null });
    expect(
      (await client.call('tasks.list', { query: { viberId, status: 'running', limit: 10 } })).tasks,
    ).toHaveLength(1);
    const detail = await client.call('tasks.get', { params });
    expect(detail.messages.map((queued) => queued.id)).toEqual([message.id]);

    const report: TaskReport = {
      version: 1,
      taskId: task.id,
      status: 'completed',
      createdAt: new Date().toISOString(),
      summary: 'walked',
      statedByAgent: false,
      claims: [],
      counts: { claims: 0, verified: 0, unverified: 0, evidence: 0 },
      evidence: [],
    };
    daemon.send({
      type: 'task:stream-chunk',
      taskId: task.id,
      seq: 5,
      chunk: { type: 'data-report', data: report },
    });
    daemon.send({ type: 'task:stream-chunk', taskId: task.id, seq: 6, chunk: { type: 'text-end', id: 't' } });
    daemon.send({ type: 'task:completed', taskId: task.id, seq: 7, result: { text: 'walking' } });

    const streamed: TaskStreamChunk[] = [];
    for await (const chunk of client.followTaskStream(task.id)) streamed.push(chunk);
    expect(streamed.map((chunk) => chunk.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(streamed[1]?.chunk).toEqual(chunks[1]);
    expect(await client.call('tasks.report', { params })).toEqual(report);

    const second = await client.call('tasks.create', { body: { goal: 'to stop', viberId } });
    expect(await client.call('tasks.stop', { params: { id: second.id } })).toMatchObject({
      stopRequested: true,
    });

    await waitFor(() => feed.some((item) => item.kind === 'event' && item.event.type === 'task.created'));
    stopEvents.abort();
    await following;
    expect(feed.filter((item) => item.kind === 'ready')).toHaveLength(1);
  });

  it('environments and their bindings', async () => {
    const body = { name: 'routes-env', type: 'manual' as const, variables: { MODE: 'test' } };
    expect((await client.call('environments.validate', { body })).ok).toBe(true);
    const created = await client.call('environments.create', {
      body: { ...body, secrets: { API_TOKEN: 'secret-value' } },
    });
    expect(created.secrets).toMatchObject([{ key: 'API_TOKEN', set: true, readable: true }]);
    const params = { id: created.id };
    expect((await client.call('environments.list')).environments.map((env) => env.id)).toEqual([created.id]);
    expect(await client.call('environments.get', { params: { id: 'routes-env' } })).toMatchObject(params);
    const updated = await client.call('environments.update', { params, body: { description: 'walked' } });
    expect(updated).toMatchObject({ description: 'walked', version: 2 });

    const binding = await client.call('environments.bindings.create', { params, body: { viberId } });
    expect(binding).toMatchObject({
      environmentId: created.id,
      viberId,
      strategy: 'clone',
      status: 'pending',
    });
    expect((await client.call('environments.bindings.list', { params })).bindings).toHaveLength(1);
    const bindingParams = { id: created.id, bindingId: binding.id };
    const again = await client.call('environments.bindings.prepare', { params: bindingParams });
    expect(again.generation).toBe(binding.generation + 1);
    const logs = await client.call('environments.bindings.logs', {
      params: bindingParams,
      query: { limit: 10 },
    });
    expect(logs).toMatchObject({ binding: { id: binding.id }, lines: [] });
    expect(await client.call('environments.delete', { params })).toMatchObject(params);
  });

  it('board sign-in: login code, session, logout', async () => {
    const minted = await client.call('loginCodes.create');
    expect(minted.path).toBe(`/login#code=${minted.code}`);
    const board = clientFor();
    const signedIn = await board.request('session.create', { body: { code: minted.code } });
    expect(signedIn.data).toMatchObject({ via: 'session' });
    const cookie = signedIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(await board.call('session.get', { headers: { cookie } })).toMatchObject({ via: 'session' });
    expect(await client.call('session.get')).toEqual({
      via: 'bearer',
      expiresAt: null,
      deviceId: 'operator-token',
      role: 'operator',
      scopes: expect.arrayContaining(['tasks.read', 'devices.admin']),
    });
    expect((await board.call('session.challenge')).nonce).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(await board.call('session.logout', { headers: { cookie } })).toEqual({ signedOut: true });
    await expect(board.call('session.get', { headers: { cookie } })).rejects.toMatchObject({ status: 401 });
  });

  it('terminals: ready, then a request answered by the viber', async () => {
    const terminal = await client.connectTerminal();
    expect(terminal).toMatchObject({ access: 'write', maxInputChars: 16 * 1024 });
    const from = daemon.received.length;
    const listing = terminal.request({ type: 'terminal:list', viberId });
    const asked = await nextCommand('terminal:list', from);
    daemon.send({ type: 'terminal:list-result', requestId: asked.requestId, sessions: [] });
    expect(await listing).toMatchObject({ type: 'terminal:list-result', viberId, sessions: [] });
    await expect(terminal.request({ type: 'terminal:list', viberId: 'viber_gone' })).rejects.toMatchObject({
      code: 'viber_offline',
    });
    await terminal.close();
    const reader = await client.connectTerminal({ access: 'read' });
    expect(reader.access).toBe('read');
    await reader.close();
    called.add('terminals.socket');
  });

  it('desktop view: the gateway answers why this viber has none', async () => {
    await expect(connectDesktop(client, { viberId })).rejects.toMatchObject({
      code: 'not_supported',
      message: `viber ${viberId} offers no live desktop view: start it with viber start --desktop --vnc`,
    });
    await expect(connectDesktop(client, { viberId: 'viber_gone' })).rejects.toMatchObject({
      code: 'not_found',
    });
    called.add('desktop.socket');
  });

  it('ports: the viber lists a port, an environment asks its vibers, and a link is minted', async () => {
    const port = {
      port: 3000,
      address: '127.0.0.1',
      pid: 42,
      command: 'node server.js',
      cwd: '/w',
      ownership: 'workspace' as const,
      answers: true,
    };
    const answerList = async () => {
      const asked = await nextCommand('ports:list', daemon.received.length);
      daemon.send({
        type: 'ports:listed',
        requestId: asked.requestId,
        ports: [{ ...port, environmentId: 'env_x' }],
      });
    };
    const listing = client.call('ports.list', { params: { id: viberId } });
    await answerList();
    expect(await listing).toMatchObject({ viberId, ports: [{ port: 3000, pid: 42 }] });
    const environment = await client.call('environments.create', {
      body: { name: 'ports-env', type: 'manual' },
    });
    await client.call('environments.bindings.create', { params: { id: environment.id }, body: { viberId } });
    const perEnvironment = client.call('ports.environmentList', { params: { id: environment.id } });
    await answerList();
    expect(await perEnvironment).toMatchObject({
      environmentId: environment.id,
      vibers: [{ viberId, ports: [] }],
    });
    const opening = client.call('ports.open', { params: { id: viberId, port: 3000 }, body: {} });
    await answerList();
    expect((await opening).path).toMatch(new RegExp(`^/ports/${viberId}/3000/[^/]+/$`));
    await client.call('environments.delete', { params: { id: environment.id } });
  });

  it('devices: pairing codes, pairing over the operator socket, approve, reject, rotate, revoke', async () => {
    const newDevice = async () => identityFromKeyPair(await generateDeviceKeys(true));
    const minted = await client.call('pairingCodes.create', {
      body: { role: 'operator', scopes: ['tasks.read'] },
    });
    const coded = await newDevice();
    const socket = await connectOperatorSocket(harness.gateway.url, {
      identity: coded,
      pairingCode: minted.code,
    });
    called.add('operator.socket');
    expect(socket.ok).toMatchObject({ deviceId: coded.id, scopes: ['tasks.read'] });
    expect((await socket.call('tasks.list')).tasks).toBeDefined();
    await socket.close();

    const asking = async () => {
      const identity = await newDevice();
      const pairing = new Promise<void>((resolve) => {
        const connecting = connectOperatorSocket(harness.gateway.url, {
          identity,
          onPairing: () => resolve(),
        });
        connected.set(identity.id, connecting);
        connecting.catch(() => {});
      });
      await pairing;
      return identity;
    };
    const connected = new Map<string, ReturnType<typeof connectOperatorSocket>>();
    const approvedOne = await asking();
    expect((await client.call('devices.list')).devices[0]).toMatchObject({
      id: approvedOne.id,
      status: 'pending',
    });
    expect(
      await client.call('devices.approve', { params: { deviceId: approvedOne.id }, body: {} }),
    ).toMatchObject({
      status: 'paired',
    });
    const approvedSocket = await connected.get(approvedOne.id)!;
    expect(approvedSocket.ok.deviceToken).toMatch(/^ovd_/);
    const rejectedOne = await asking();
    expect(await client.call('devices.reject', { params: { deviceId: rejectedOne.id } })).toEqual({
      id: rejectedOne.id,
      rejected: true,
    });
    await expect(connected.get(rejectedOne.id)!).rejects.toMatchObject({ code: 'pairing_rejected' });
    const rotated = await client.call('devices.rotate', { params: { deviceId: approvedOne.id } });
    expect(rotated.token).toBeUndefined();
    expect(await client.call('devices.revoke', { params: { deviceId: approvedOne.id } })).toMatchObject({
      status: 'revoked',
    });
    await approvedSocket.closed;
  });

  it('jobs: preview, create, list, get, pause, run now, runs, delete', async () => {
    const preview = await client.call('jobs.preview', {
      body: { cron: '0 3 * * *', timeZone: 'europe/berlin' },
    });
    expect(preview).toMatchObject({
      timeZone: 'Europe/Berlin',
      nextRuns: [expect.any(String), expect.any(String), expect.any(String)],
    });
    const job = await client.call('jobs.create', {
      body: { name: 'route-walk', cron: '0 3 * * *', goal: 'walk', target: { type: 'viber', viberId } },
      idempotencyKey: 'job-1',
    });
    expect(job).toMatchObject({ timeZone: 'UTC', mode: 'agent-decides', missedRuns: 'skip', lastRun: null });
    const listed = await client.call('jobs.list', { query: { viberId } });
    expect(listed.jobs.map((one) => one.id)).toEqual([job.id]);
    expect(await client.call('jobs.get', { params: { id: 'route-walk' } })).toMatchObject({ id: job.id });
    const paused = await client.call('jobs.update', { params: { id: job.id }, body: { enabled: false } });
    expect(paused).toMatchObject({ enabled: false, nextRuns: [] });
    const run = await client.call('jobs.run', { params: { id: job.id }, idempotencyKey: 'job-run-1' });
    expect(run).toMatchObject({ trigger: 'manual', status: 'started', taskStatus: 'pending' });
    const { runs } = await client.call('jobs.runs', { params: { id: job.id } });
    expect(runs.map((listed) => listed.taskId)).toEqual([run.taskId]);
    expect(await client.call('jobs.delete', { params: { id: job.id } })).toMatchObject({ id: job.id });
  });

  it('channels: create, get, update, test, senders, deliveries, approve and block, delete', async () => {
    const channel = await client.call('channels.create', {
      body: {
        kind: 'webhook',
        name: 'route-walk',
        config: { url: 'http://127.0.0.1:9/answers' },
        secrets: { signingSecret: 'route-walk-signing-secret' },
      },
      idempotencyKey: 'channel-1',
    });
    expect(channel).toMatchObject({
      kind: 'webhook',
      secrets: { signingSecret: { set: true } },
      status: 'ok',
    });
    expect((await client.call('channels.list')).channels.map((one) => one.id)).toContain(channel.id);
    expect(await client.call('channels.get', { params: { channelId: channel.id } })).toMatchObject({
      id: channel.id,
    });
    const renamed = await client.call('channels.update', {
      params: { channelId: channel.id },
      body: { name: 'renamed', enabled: false },
    });
    expect(renamed).toMatchObject({ name: 'renamed', status: 'disabled' });
    const test = await client.call('channels.test', { params: { channelId: channel.id } });
    expect(test.ok).toBe(false);
    expect(await client.call('channels.senders', { params: { channelId: channel.id } })).toEqual({
      senders: [],
    });
    expect(await client.call('channels.deliveries', { params: { channelId: channel.id } })).toEqual({
      deliveries: [],
    });
    await expect(
      client.call('channelSenders.approve', { body: { code: 'ABCD-2345' }, idempotencyKey: 'sender-1' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      client.call('channelSenders.block', {
        body: { channelId: channel.id, senderId: 'nobody' },
        idempotencyKey: 'sender-2',
      }),
    ).rejects.toMatchObject({ status: 404 });
    called.add('channelSenders.approve').add('channelSenders.block');
    expect(await client.call('channels.delete', { params: { channelId: channel.id } })).toEqual({
      id: channel.id,
      deleted: true,
    });
  });

  it('revokes the viber, and has called every route of the table', async () => {
    expect(await client.call('vibers.revoke', { params: { id: viberId } })).toMatchObject({ id: viberId });
    const missing = ROUTE_NAMES.filter((name) => !called.has(name) && !NOT_CLIENT_ROUTES.includes(name));
    expect(missing).toEqual([]);
  });
});
