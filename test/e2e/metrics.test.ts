import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConnectRefusalCodeSchema } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, makeFixtureDir, TOOL_NAME, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { type Family, parseExposition, sampleValue } from '../support/prometheus-text.ts';
import { spawnDaemon, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor, withTimeout } from '../support/wait.ts';

// Issue 16, item 6: GET /metrics on a real gateway with a real daemon whose model is the scripted
// server. Every scrape is read by a strict reader of the text format (test/support/prometheus-text.ts);
// the figures must move as a task runs: its state, the events stored and relayed, the relay
// latency, the viber's running tasks, tool calls, failures, tokens and model steps.

useE2eCleanup();

const METRICS_TOKEN = `metrics_${randomBytes(16).toString('hex')}`;
const MEDIA_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The first request asks for two tool calls, one with input the tool refuses; the second answers in text, held open. */
function script(hold: Promise<void>) {
  return ({ body }: { body: ChatRequestBody }): ScriptTurn => {
    if (lastMessage(body)?.role !== 'tool') {
      return {
        type: 'tool-calls',
        calls: [
          { id: 'call_ok', name: TOOL_NAME, input: { path: '.' } },
          { id: 'call_bad', name: TOOL_NAME, input: { path: 42 } },
        ],
        usage: { prompt_tokens: 120, completion_tokens: 30 },
      };
    }
    return {
      type: 'text',
      text: 'The folder holds alpha.txt and beta.txt.',
      usage: { prompt_tokens: 200, completion_tokens: 12 },
      beforeChunk: (index) => (index === 2 ? hold : undefined),
    };
  };
}

async function scrape(url: string, token: string | undefined) {
  const response = await fetch(`${url}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text };
}

/** A scrape that must succeed, read strictly. */
async function metrics(url: string, token = METRICS_TOKEN): Promise<Map<string, Family>> {
  const answer = await scrape(url, token);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.contentType).toBe(MEDIA_TYPE);
  return parseExposition(answer.text);
}

describe('GET /metrics', () => {
  it('moves with a running task, the daemon reports its own work, and the token stays secret', async () => {
    const hold = createGate();
    const model = await startModelServer({ script: script(hold.wait()) });
    const gateway = await spawnGateway({
      heartbeatIntervalMs: 300,
      env: { OPENVIBER_METRICS_TOKEN: METRICS_TOKEN },
    });
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'metrics' });
    const viber = { viber: daemon.viberId };

    const before = await metrics(gateway.url);
    expect(sampleValue(before, 'openviber_vibers_connected')).toBe(1);
    expect(sampleValue(before, 'openviber_tasks', { state: 'running' })).toBe(0);
    expect(sampleValue(before, 'openviber_events_stored_total')).toBe(0);
    expect(sampleValue(before, 'openviber_relay_latency_seconds_count')).toBe(0);
    // Every family is announced even before it has samples; the types are the documented ones.
    expect(Object.fromEntries([...before.values()].map((family) => [family.name, family.type]))).toEqual({
      openviber_vibers_connected: 'gauge',
      openviber_tasks: 'gauge',
      openviber_streams_open: 'gauge',
      openviber_events_stored_total: 'counter',
      openviber_events_relayed_total: 'counter',
      openviber_relay_latency_seconds: 'histogram',
      openviber_outbox_commands: 'gauge',
      openviber_auth_failures_total: 'counter',
      openviber_delegations_total: 'counter',
      openviber_store_errors_total: 'counter',
      openviber_bus_errors_total: 'counter',
      openviber_viber_running_tasks: 'gauge',
      openviber_viber_model_latency_seconds: 'summary',
      openviber_viber_model_tokens_total: 'counter',
      openviber_viber_tool_calls_total: 'counter',
      openviber_viber_tool_failures_total: 'counter',
    });

    expect([...before.values()].filter((family) => !family.help).map((family) => family.name)).toEqual([]);
    expect(sampleValue(before, 'openviber_streams_open', { stream: 'board' })).toBe(0);
    // Every refusal reason is listed from the start, at 0, so a rate over it is defined at once.
    for (const reason of [
      'missing_credentials',
      'invalid_credentials',
      'rate_limited',
      'scope_denied',
      'cross_origin',
    ]) {
      expect(sampleValue(before, 'openviber_auth_failures_total', { transport: 'http', reason })).toBe(0);
    }
    for (const reason of ConnectRefusalCodeSchema.options) {
      expect(sampleValue(before, 'openviber_auth_failures_total', { transport: 'socket', reason })).toBe(0);
    }

    // A task runs and is held mid-answer, with a reader following its stream live.
    const task = await gateway.rest.createTask({
      goal: 'List the files in the working folder.',
      viberId: daemon.viberId,
      options: { cwd: makeFixtureDir() },
    });
    const reader = await gateway.follow(task.id);
    await model.waitForRequests(2);
    // The daemon's figures arrive with its heartbeats: wait for one sent after the first step ended.
    const running = await waitFor(
      async () => {
        const now = await metrics(gateway.url);
        const input = sampleValue(now, 'openviber_viber_model_tokens_total', {
          ...viber,
          direction: 'input',
        });
        return sampleValue(now, 'openviber_viber_running_tasks', viber) === 1 && input === 120
          ? now
          : undefined;
      },
      { timeoutMs: 30_000, description: 'a heartbeat reporting the running task after its first step' },
    );
    expect(sampleValue(running, 'openviber_tasks', { state: 'running' })).toBe(1);
    expect(sampleValue(running, 'openviber_tasks', { state: 'pending' })).toBe(0);
    expect(sampleValue(running, 'openviber_streams_open', { stream: 'task' })).toBe(1);
    expect(sampleValue(running, 'openviber_events_stored_total')).toBeGreaterThan(0);
    // The submit was acknowledged: nothing waits in the outbox.
    expect(sampleValue(running, 'openviber_outbox_commands')).toBe(0);
    // Two calls, one refused for its input.
    expect(sampleValue(running, 'openviber_viber_tool_calls_total', viber)).toBe(2);
    expect(sampleValue(running, 'openviber_viber_tool_failures_total', viber)).toBe(1);
    expect(sampleValue(running, 'openviber_viber_model_tokens_total', { ...viber, direction: 'input' })).toBe(
      120,
    );

    hold.open();
    await withTimeout(reader.finished, 45_000, 'the task stream to end');
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed');
    const after = await waitFor(
      async () => {
        const now = await metrics(gateway.url);
        return sampleValue(now, 'openviber_viber_running_tasks', viber) === 0 &&
          sampleValue(now, 'openviber_viber_model_tokens_total', { ...viber, direction: 'output' }) === 42
          ? now
          : undefined;
      },
      { timeoutMs: 30_000, description: 'a heartbeat after the task' },
    );
    expect(sampleValue(after, 'openviber_tasks', { state: 'running' })).toBe(0);
    expect(sampleValue(after, 'openviber_tasks', { state: 'completed' })).toBe(1);
    // Each event of the task's log was stored once; each chunk the reader got was relayed to it.
    expect(sampleValue(after, 'openviber_events_stored_total')).toBe(detail.task.lastSeq);
    const chunks = reader.events.filter((event) => event.data !== '[DONE]').length;
    expect(sampleValue(after, 'openviber_events_relayed_total')).toBe(chunks);
    // Chunks written live are timed; none is counted twice, and the sum is a real duration.
    const timed = sampleValue(after, 'openviber_relay_latency_seconds_count') ?? 0;
    expect(timed).toBeGreaterThan(0);
    expect(timed).toBeLessThanOrEqual(chunks);
    expect(sampleValue(after, 'openviber_relay_latency_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(after, 'openviber_viber_model_tokens_total', { ...viber, direction: 'input' })).toBe(
      320,
    );
    expect(sampleValue(after, 'openviber_viber_model_latency_seconds_count', viber)).toBe(2);
    expect(sampleValue(after, 'openviber_viber_model_latency_seconds_sum', viber)).toBeGreaterThan(0);
    expect(sampleValue(after, 'openviber_store_errors_total')).toBe(0);
    expect(sampleValue(after, 'openviber_bus_errors_total')).toBe(0);
    await withTimeout(
      waitFor(
        async () =>
          sampleValue(await metrics(gateway.url), 'openviber_streams_open', { stream: 'task' }) === 0,
      ),
      10_000,
      'the reader to be gone',
    );

    // Refusals: precise, counted by reason, and the metrics token opens nothing else.
    const missing = await scrape(gateway.url, undefined);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text)).toEqual({
      error: {
        code: 'unauthorized',
        message: 'missing Authorization: Bearer <operator device token or metrics token>',
      },
    });
    const wrong = await scrape(gateway.url, `${METRICS_TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toEqual({ error: { code: 'unauthorized', message: 'invalid token' } });
    const node = await scrape(gateway.url, daemon.token);
    expect(node.status).toBe(403);
    expect(JSON.parse(node.text)).toEqual({
      error: { code: 'forbidden', message: 'a viber (node) token cannot call operator routes' },
    });
    const elsewhere = await fetch(`${gateway.url}/api/tasks`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(elsewhere.status).toBe(401);
    // A REST route's scope refusal is counted too.
    const nodeOnApi = await fetch(`${gateway.url}/api/tasks`, {
      headers: { authorization: `Bearer ${daemon.token}` },
    });
    expect(nodeOnApi.status).toBe(403);
    // An operator device reads them too.
    const byOperator = await metrics(gateway.url, gateway.operatorToken);
    const failures = (reason: string) =>
      sampleValue(byOperator, 'openviber_auth_failures_total', { transport: 'http', reason });
    expect(failures('missing_credentials')).toBe(1);
    expect(failures('invalid_credentials')).toBe(2);
    expect(failures('scope_denied')).toBe(2);

    // A socket refused in the connect handshake (a daemon with a token no one was given, which
    // gives up at once) is counted under its refusal code.
    const offline = await gateway.rest.registerViber('offline');
    const impostor = await spawnDaemon(
      {
        serverUrl: gateway.wsUrl,
        viberId: offline.id,
        token: 'ovd_not-a-token-anyone-was-given',
        modelBaseURL: model.baseURL,
        name: 'impostor',
      },
      false,
    );
    await withTimeout(impostor.process.exited, 30_000, 'the refused daemon to exit');
    const socketFailures = sampleValue(await metrics(gateway.url), 'openviber_auth_failures_total', {
      transport: 'socket',
      reason: 'unauthorized',
    });
    expect(socketFailures).toBe(1);

    // A task for a viber with no daemon waits in the outbox.
    await gateway.rest.createTask({ goal: 'Wait for me.', viberId: offline.id });
    const waiting = await metrics(gateway.url);
    expect(sampleValue(waiting, 'openviber_outbox_commands')).toBe(1);
    expect(sampleValue(waiting, 'openviber_tasks', { state: 'pending' })).toBe(1);
    expect(sampleValue(waiting, 'openviber_vibers_connected')).toBe(1);

    // The token is in no answer and no line the gateway wrote.
    const text = (await scrape(gateway.url, METRICS_TOKEN)).text;
    for (const secret of [METRICS_TOKEN, gateway.operatorToken, daemon.token]) {
      expect(text).not.toContain(secret);
    }
    expect(gateway.process.stdout).not.toContain(METRICS_TOKEN);
    expect(gateway.process.stderr).not.toContain(METRICS_TOKEN);

    // A viber that goes away leaves the output with its figures.
    await daemon.process.kill('SIGTERM');
    const gone = await waitFor(
      async () => {
        const now = await metrics(gateway.url);
        return sampleValue(now, 'openviber_vibers_connected') === 0 ? now : undefined;
      },
      { timeoutMs: 30_000, description: 'the viber to disconnect' },
    );
    expect(sampleValue(gone, 'openviber_viber_running_tasks', viber)).toBeUndefined();
    expect(sampleValue(gone, 'openviber_viber_tool_calls_total', viber)).toBeUndefined();
  }, 120_000);

  it('refuses to start with a metrics token too short to be secret, without quoting it', async () => {
    const short = 'tiny-token';
    const failed = await spawnGateway({ env: { OPENVIBER_METRICS_TOKEN: short } }).then(
      () => new Error('the gateway started'),
      (error: Error) => error,
    );
    expect(failed.message).toMatch(
      /OPENVIBER_METRICS_TOKEN: a metrics token must be at least 16 characters with no spaces/,
    );
    expect(failed.message).not.toContain(short);
  });
});
