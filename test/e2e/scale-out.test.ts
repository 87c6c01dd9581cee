import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ViberView } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  checkStrictlyIncreasing,
  normalizeMessage,
  range,
  toolThenText,
  userText,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { spawnViber } from '../support/processes.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { spawnDaemon } from '../support/viber-stack.ts';
import { createGate, waitFor, withTimeout } from '../support/wait.ts';

// Issue 17, "any gateway serves any request": three gateway processes on one real PostgreSQL and
// one real Redis, a daemon connected to gateway A. A task created on B runs on it; its stream read
// from C is complete and in order; a stop sent to C reaches it; presence is the same everywhere;
// an idempotency key reused on another gateway returns the first answer.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;
const FINAL_TEXT = 'one two three four five six seven eight nine ten eleven twelve';
const HOLD_AT = 4;

/** A shell command, then a sentence; a goal that says "sleep" sleeps long enough to be stopped. */
function script({ body }: { body: ChatRequestBody }): ScriptTurn {
  const goal = JSON.stringify(body.messages[1]?.content ?? body.messages[0]?.content ?? '');
  if (body.messages.some((message) => message.role === 'tool')) {
    return { type: 'text', text: 'Across gateways, the command ran and its output came back.' };
  }
  const command = goal.includes('sleep') ? 'sleep 60' : 'echo crossed-gateways';
  return { type: 'tool-calls', calls: [{ id: 'call_shell', name: 'shell', input: { command } }] };
}

describe('several gateways on PostgreSQL and Redis', { timeout: 240_000 }, () => {
  it('runs a task created on B for a viber on A, streams it from C, and stops one from C', async () => {
    const model = await startModelServer({ script });
    const [a, b, c] = await threeGateways(HEARTBEAT_MS);
    const viber = await a!.rest.registerViber('scale-out-viber');
    await spawnDaemon({
      serverUrl: a!.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'scale-out-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });

    // Presence: online on every gateway, though only A holds the socket.
    for (const gateway of [a!, b!, c!]) {
      await waitFor(
        async () => ((await gateway.rest.getViber(viber.id)) as ViberView).presence !== 'offline',
        {
          description: `the viber online on ${gateway.options.name}`,
        },
      );
    }

    const task = await b!.rest.createTask({
      goal: 'Say something across gateways.',
      viberId: viber.id,
      options: { mode: 'always-execute' },
    });
    const reader = await c!.follow(task.id);
    const message = await withTimeout(reader.finished, 60_000, 'the task streamed from gateway C to end');
    await waitForTaskStatus(c!.rest, task.id, 'completed');
    // In order, none twice (the log also holds lifecycle events, which the stream does not carry).
    const seqs = reader.seqs;
    expect(checkStrictlyIncreasing(seqs)).toBeUndefined();
    expect(seqs.length).toBeGreaterThan(3);
    expect(JSON.stringify(message)).toContain('crossed-gateways');
    expect(JSON.stringify(message)).toContain('Across gateways, the command ran');
    // The same stream read again from B and from A (which stored it), from the start: the same events.
    for (const gateway of [b!, a!]) {
      const again = await gateway.follow(task.id);
      await withTimeout(again.finished, 30_000, `the stream read again from ${gateway.options.name}`);
      expect(again.events).toEqual(reader.events);
    }

    // A stop sent to C reaches the daemon on A.
    const long = await b!.rest.createTask({
      goal: 'Please sleep for a while.',
      viberId: viber.id,
      options: { mode: 'always-execute' },
    });
    await waitForTaskStatus(c!.rest, long.id, 'running');
    await waitFor(
      async () =>
        model.requests.some((request) => JSON.stringify(request.body).includes('sleep for a while')),
      {
        description: 'the long task reached the model',
      },
    );
    await c!.rest.stopTask(long.id);
    await waitForTaskStatus(a!.rest, long.id, 'stopped');
  });

  it('returns the first answer for an idempotency key reused on another gateway', async () => {
    const model = await startModelServer({ script });
    const [a, b, c] = await threeGateways(HEARTBEAT_MS);
    const viber = await a!.rest.registerViber('idempotent-viber');
    await spawnDaemon({
      serverUrl: a!.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'idempotent-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const key = `key-${randomBytes(8).toString('hex')}`;
    const body = {
      goal: 'Say something once.',
      viberId: viber.id,
      options: { mode: 'always-execute' as const },
    };
    const first = await b!.rest.createTask(body, { 'idempotency-key': key });
    const second = await c!.rest.createTask(body, { 'idempotency-key': key });
    expect(second.id).toBe(first.id);
    await waitForTaskStatus(a!.rest, first.id, 'completed');
    expect((await a!.rest.listTasks()).filter((task) => task.goal === body.goal)).toHaveLength(1);

    // A model settings change taken by C reaches the viber on A at once (config:push over the bus),
    // not at its next connection: its heartbeat reports the gateway's new version.
    const changed = await fetch(`${c!.url}/api/settings/model`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${c!.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'always-ask' }),
    });
    expect(changed.status).toBe(200);
    const version = ((await changed.json()) as { version: number }).version;
    await waitFor(
      async () => ((await a!.rest.getViber(viber.id)) as ViberView).status?.model?.gatewayVersion === version,
      { timeoutMs: 20_000, description: 'the viber on A to apply the settings C took' },
    );
  });

  it('a gateway SIGKILLed mid-stream: its daemon and reader move on, nothing lost or doubled', async () => {
    const hold = createGate();
    const model = await startModelServer({
      script: toolThenText({
        text: FINAL_TEXT,
        textTurn: (body) =>
          userText(body).includes('run 2')
            ? { beforeChunk: (i) => (i === HOLD_AT ? hold.wait() : undefined) }
            : {},
      }),
    });
    const gateways = await threeGateways(HEARTBEAT_MS);
    const [a, b, c] = gateways;
    const viber = await a!.rest.registerViber('moving-viber');
    const daemon = await spawnDaemon({
      // A first; B and C when A is gone.
      serverUrl: [a!, b!, c!].map((gateway) => gateway.wsUrl).join(','),
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'moving-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    expect(daemon.process.stdout).toContain(`connected to ${a!.wsUrl}`);

    const first = await a!.rest.createTask({ goal: 'List the folder (run 1)', viberId: viber.id });
    const reference = await withTimeout((await c!.follow(first.id)).finished, 45_000, 'run 1 to end');

    const second = await a!.rest.createTask({ goal: 'List the folder (run 2)', viberId: viber.id });
    const reader = await a!.follow(second.id);
    await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= HOLD_AT, {
      timeoutMs: 45_000,
      description: `${HOLD_AT} text deltas of run 2 on gateway A`,
    });
    await a!.process.kill('SIGKILL');
    hold.open();
    // The daemon moves to the next gateway of its list; the reader resumes on B where it stopped.
    await daemon.waitForConnection(2, 45_000);
    expect(daemon.process.stdout).toMatch(new RegExp(`connected to (${b!.wsUrl}|${c!.wsUrl})`));
    const resumed = await b!.follow(second.id, reader.lastEventId);
    await withTimeout(resumed.finished, 45_000, 'run 2 to end, read from B');
    await waitForTaskStatus(c!.rest, second.id, 'completed');
    expect(checkStrictlyIncreasing([...reader.seqs, ...resumed.seqs])).toBeUndefined();
    // Read whole from C: the message of an uninterrupted run, and what the two readers got together.
    const whole = await c!.follow(second.id);
    const message = await withTimeout(whole.finished, 30_000, 'run 2 read whole from C');
    expect(normalizeMessage(message)).toEqual(normalizeMessage(reference));
    expect([...reader.events, ...resumed.events]).toEqual(whole.events);
    // The durable log: seqs exactly 1..N.
    const stored = await gateways.postgres.query<{ seq: number }>(
      'SELECT seq FROM task_events WHERE task_id = $1 ORDER BY seq',
      [second.id],
      new URL(gateways.store).pathname.slice(1),
    );
    expect(stored.map((row) => Number(row.seq))).toEqual(range(stored.length));
  });

  it('Redis, then PostgreSQL, stopped and restarted under a running task: 503 with the reason, then all of it', async () => {
    const hold = createGate();
    const model = await startModelServer({
      script: toolThenText({
        text: FINAL_TEXT,
        textTurn: () => ({ beforeChunk: (i) => (i === HOLD_AT ? hold.wait() : undefined) }),
      }),
    });
    const gateways = await threeGateways(HEARTBEAT_MS);
    const [a, b, c] = gateways;
    const viber = await a!.rest.registerViber('weathering-viber');
    await spawnDaemon({
      serverUrl: a!.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'weathering-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const task = await b!.rest.createTask({ goal: 'List the folder (weather)', viberId: viber.id });
    const reader = await c!.follow(task.id);
    await waitFor(() => reader.chunks.filter((chunk) => chunk.type === 'text-delta').length >= HOLD_AT, {
      timeoutMs: 45_000,
      description: `${HOLD_AT} text deltas on gateway C`,
    });

    // Redis goes away: every gateway says so and refuses new work; the running task goes on.
    await gateways.redis.stop();
    await waitFor(async () => (await fetch(`${c!.url}/health`)).status === 503, {
      description: 'C unhealthy',
    });
    const health = (await (await fetch(`${c!.url}/health`)).json()) as { error: { message: string } };
    expect(health.error.message).toMatch(/^the gateway cannot reach its Redis bus since /);
    const refused = await fetch(`${b!.url}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b!.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ goal: 'not now', viberId: viber.id }),
    });
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain('cannot reach its Redis bus');
    hold.open();
    await waitForTaskStatus(a!.rest, task.id, 'completed');
    await gateways.redis.start();
    await waitFor(async () => (await fetch(`${c!.url}/health`)).status === 200, {
      description: 'C healthy again',
    });
    // C's reader heard nothing while Redis was down; on its return it reads the log and ends whole.
    const message = await withTimeout(reader.finished, 30_000, 'the stream on C to end');
    expect(JSON.stringify(message)).toContain(FINAL_TEXT);

    // PostgreSQL goes away under a second task: 503 with the reason; the task's events wait in the
    // daemon's outbox and are all stored once it is back.
    const second = await b!.rest.createTask({ goal: 'List the folder (storm)', viberId: viber.id });
    const secondReader = await c!.follow(second.id);
    await gateways.postgres.pause();
    await waitFor(async () => (await fetch(`${a!.url}/health`)).status === 503, {
      timeoutMs: 20_000,
      description: 'A unhealthy',
    });
    const down = (await (await fetch(`${a!.url}/health`)).json()) as { error: { message: string } };
    expect(down.error.message).toMatch(/^the gateway cannot reach its PostgreSQL store since /);
    expect(down.error.message).not.toContain(gateways.store.split('@')[0]!.split('//')[1]!);
    await gateways.postgres.resume();
    await waitFor(async () => (await fetch(`${a!.url}/health`)).status === 200, {
      timeoutMs: 20_000,
      description: 'A healthy again',
    });
    await waitForTaskStatus(c!.rest, second.id, 'completed', 60_000);
    await withTimeout(secondReader.finished, 30_000, 'the second stream on C to end');
    const stored = await gateways.postgres.query<{ seq: number }>(
      'SELECT seq FROM task_events WHERE task_id = $1 ORDER BY seq',
      [second.id],
      new URL(gateways.store).pathname.slice(1),
    );
    expect(stored.map((row) => Number(row.seq))).toEqual(range(stored.length));
    expect(checkStrictlyIncreasing(secondReader.seqs)).toBeUndefined();
  });
});

describe('viber gateway --store and --bus, refused', { timeout: 60_000 }, () => {
  it('says which flag is wrong (exit 2), and gives up on an unreachable Redis naming it without its password', async () => {
    const home = makeTempDir('scale-out-flags');
    const run = async (args: string[]) => {
      const child = spawnViber(['gateway', '--port', '0', ...args], {
        name: 'gateway-flags',
        env: { OPENVIBER_HOME: home },
      });
      const { code } = await child.exited;
      return { code, stderr: child.stderr };
    };
    expect(await run(['--store', 'mysql://db/openviber'])).toEqual({
      code: 2,
      stderr: expect.stringContaining(
        '--store: give a PostgreSQL URL, postgres://user:password@host:5432/database',
      ),
    });
    expect(await run(['--bus', 'redis://127.0.0.1:6379'])).toEqual({
      code: 2,
      stderr: expect.stringContaining('--bus joins gateways that share a PostgreSQL store'),
    });
    const unreachable = await run([
      '--store',
      'postgres://openviber:store-secret@127.0.0.1:1/openviber',
      '--bus',
      'redis://:bus-secret@127.0.0.1:1',
    ]);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toContain('cannot reach the Redis bus at redis://:***@127.0.0.1:1');
    expect(unreachable.stderr).not.toContain('bus-secret');
    expect(unreachable.stderr).not.toContain('store-secret');

    // The same settings in config.json: read (and checked) when the flags and variables are absent.
    mkdirSync(join(home, 'config'), { recursive: true });
    const config = join(home, 'config', 'config.json');
    writeFileSync(config, JSON.stringify({ gateway: { store: 'mysql://db/openviber' } }));
    const badConfig = await run([]);
    expect(badConfig.code).not.toBe(0);
    expect(badConfig.stderr).toContain('gateway.store');
    expect(badConfig.stderr).toContain('must be a postgres:// URL');
    writeFileSync(
      config,
      JSON.stringify({ gateway: { store: 'postgres://openviber:cfg-secret@db.internal:5432/openviber' } }),
    );
    const shown = spawnViber(['config', 'get', 'gateway.store'], {
      name: 'config-get',
      env: { OPENVIBER_HOME: home },
    });
    expect((await shown.exited).code).toBe(0);
    expect(shown.stdout.trim()).toBe('postgres://openviber:***@db.internal:5432/openviber');
  });
});
