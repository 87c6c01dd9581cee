import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import { type ChannelStack, startChannelStack, stopChannelStack } from '../support/channels/channel-stack.ts';
import {
  type SlackPlatform,
  type SlackPost,
  startSlackPlatform,
} from '../support/channels/slack-platform.ts';
import { userText } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';

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

let stack: ChannelStack;
let slack: SlackPlatform;
let channel: ChannelView;
let nextTs = 1_720_000_000;

async function say(text: string): Promise<{ ts: string; response: Response }> {
  nextTs += 1;
  const ts = `${nextTs}.000300`;
  const response = await slack.sendEvent(stack.webhookOf(channel), {
    type: 'event_callback',
    event_id: `Ev${nextTs}`,
    authorizations: [{ user_id: 'U0BOT', is_bot: true }],
    event: { type: 'message', channel: 'C1', channel_type: 'channel', user: 'U0ALICE', text, ts },
  });
  return { ts, response };
}

const inThread = (thread: string) => (post: SlackPost) => post.channel === 'C1' && post.threadTs === thread;

beforeAll(async () => {
  slack = await startSlackPlatform();
  stack = await startChannelStack({ script, viberName: 'inbound-viber', gatewayName: 'gateway-first' });
  channel = await stack.addChannel({
    kind: 'slack',
    name: 'slack',
    config: { apiBaseUrl: slack.url },
    secrets: { botToken: slack.botToken, signingSecret: slack.signingSecret },
  });
  // Alice pairs as a person does.
  const { ts } = await say('hi');
  const reply = await slack.waitForPost(
    (post) => inThread(ts)(post) && /pairing code is/.test(post.text),
    'a pairing code',
  );
  await stack.approvePairing(reply.text);
}, 60_000);

afterAll(() => stopChannelStack(stack, slack));

describe('a channel event recorded but not acted on', () => {
  it('is acted on once after the gateway is killed between the answer and the task', async () => {
    // The same gateway (home, port), held after answering.
    await stack.gateway.process.kill('SIGTERM');
    const held = await stack.restartGateway('gateway-held', { OPENVIBER_TEST_HOLD_CHANNEL_INBOUND: '1' });
    const goal = 'survive the crash';
    const { ts, response } = await say(goal);
    // Answered: the event is in the store; no task yet (answer first, then act).
    expect(response.status).toBe(200);
    expect((await held.rest.listTasks()).filter((task) => task.goal === goal)).toEqual([]);

    await held.process.kill('SIGKILL');
    const after = await stack.restartGateway('gateway-after');

    const answer = await slack.waitForPost(
      (post) => inThread(ts)(post) && post.text.startsWith(`Answer to: ${goal}`),
      'the answer after the restart',
      60_000,
    );
    expect(answer.text).toContain('/tasks/task_');
    // Once: one task, one answer, even with the sweep running on.
    const again = await say('and the next one');
    await slack.waitForPost((post) => inThread(again.ts)(post), 'next answer');
    expect((await after.rest.listTasks()).filter((task) => task.goal === goal)).toHaveLength(1);
    expect(slack.posts.filter(inThread(ts))).toHaveLength(1);
  });
});
