import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import {
  type SlackPlatform,
  type SlackPost,
  startSlackPlatform,
} from '../support/channels/slack-platform.ts';
import { userText } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { type OpenAITestServer, startOpenAITestServer } from '../support/openai-test-server.ts';
import { stopAllProcesses } from '../support/processes.ts';
import { removeTempDirs } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 18, channels: answer first, then act (docs/channels.md, "Answer first"). Slack gets its
// 200 as soon as the event is recorded in the store; a gateway killed (SIGKILL) between that
// answer and acting on the event acts on it when it starts again: the task starts once, and the
// answer reaches the thread once. The gateway is held between the two by
// OPENVIBER_TEST_HOLD_CHANNEL_INBOUND=1 (it records and answers, and never acts), the real path
// up to the kill.

function script({ body }: { body: ChatRequestBody }): ScriptTurn {
  const last = userText(body).split('\n').at(-1) ?? '';
  return { type: 'text', text: `Answer to: ${last}` };
}

let model: OpenAITestServer;
let slack: SlackPlatform;
let gateway: GatewayHandle;
let channel: ChannelView;
let nextTs = 1_720_000_000;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await gateway.rest.request<T>(method, path, body === undefined ? {} : { body });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.body;
}

async function say(text: string): Promise<{ ts: string; response: Response }> {
  nextTs += 1;
  const ts = `${nextTs}.000300`;
  const response = await slack.sendEvent(`${gateway.url}/channels/${channel.id}/webhook`, {
    type: 'event_callback',
    event_id: `Ev${nextTs}`,
    authorizations: [{ user_id: 'U0BOT', is_bot: true }],
    event: { type: 'message', channel: 'C1', channel_type: 'channel', user: 'U0ALICE', text, ts },
  });
  return { ts, response };
}

const inThread = (thread: string) => (post: SlackPost) => post.channel === 'C1' && post.threadTs === thread;

beforeAll(async () => {
  model = await startOpenAITestServer({ script });
  slack = await startSlackPlatform();
  gateway = await spawnGateway({ name: 'gateway-first' });
  await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'inbound-viber' });
  channel = await api<ChannelView>('POST', '/api/channels', {
    kind: 'slack',
    name: 'slack',
    config: { apiBaseUrl: slack.url },
    secrets: { botToken: slack.botToken, signingSecret: slack.signingSecret },
    viberId: (await gateway.rest.listVibers())[0]!.id,
  });
  // Alice pairs as a person does.
  const { ts } = await say('hi');
  const reply = await waitFor(
    () => slack.posts.find((post) => inThread(ts)(post) && /pairing code is/.test(post.text)),
    { description: 'a pairing code' },
  );
  await api('POST', '/api/channel-senders/approve', {
    code: /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(reply.text)![1],
  });
}, 60_000);

afterAll(async () => {
  await stopAllProcesses();
  await slack?.close();
  await model?.close();
  removeTempDirs();
});

describe('a channel event recorded but not acted on', () => {
  it('is acted on once after the gateway is killed between the answer and the task', async () => {
    // The same gateway (home, port), held after answering.
    await gateway.process.kill('SIGTERM');
    gateway = await spawnGateway({
      ...gateway.options,
      port: gateway.port,
      name: 'gateway-held',
      env: { ...gateway.options.env, OPENVIBER_TEST_HOLD_CHANNEL_INBOUND: '1' },
    });
    const goal = 'survive the crash';
    const { ts, response } = await say(goal);
    // Answered: the event is in the store; no task yet (answer first, then act).
    expect(response.status).toBe(200);
    expect((await gateway.rest.listTasks()).filter((task) => task.goal === goal)).toEqual([]);

    await gateway.process.kill('SIGKILL');
    const { OPENVIBER_TEST_HOLD_CHANNEL_INBOUND: _held, ...env } = gateway.options.env ?? {};
    gateway = await spawnGateway({ ...gateway.options, port: gateway.port, name: 'gateway-after', env });

    const answer = await waitFor(
      () => slack.posts.find((post) => inThread(ts)(post) && post.text.startsWith(`Answer to: ${goal}`)),
      { description: 'the answer after the restart', timeoutMs: 60_000 },
    );
    expect(answer.text).toContain('/tasks/task_');
    // Once: one task, one answer, even with the sweep running on.
    const again = await say('and the next one');
    await waitFor(() => slack.posts.find((post) => inThread(again.ts)(post)), { description: 'next answer' });
    expect((await gateway.rest.listTasks()).filter((task) => task.goal === goal)).toHaveLength(1);
    expect(slack.posts.filter(inThread(ts))).toHaveLength(1);
  });
});
