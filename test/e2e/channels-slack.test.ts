import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import {
  type ChannelStack,
  startChannelStack,
  stopChannelStack,
  taskIdIn,
} from '../support/channels/channel-stack.ts';
import {
  type SlackPlatform,
  type SlackPost,
  startSlackPlatform,
} from '../support/channels/slack-platform.ts';
import { FINAL_TEXT, lastMessage, userText } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';

// Issue 18, channels: Slack end to end. A real gateway and daemon (processes), the scripted
// OpenAI-compatible model, and a Slack fixture on 127.0.0.1: its Web API is what the gateway calls
// instead of slack.com, and it posts Events API callbacks and button presses to the gateway's
// webhook signed with the real v0 scheme. Each test writes in a thread of its own.

const PUBLIC_URL = 'https://viber.example.test';
const LONG_ANSWER = Array.from(
  { length: 12 },
  (_, i) => `Paragraph ${i}: ${'word '.repeat(150).trim()}`,
).join('\n\n');

function script({ body }: { body: ChatRequestBody }): ScriptTurn {
  const said = userText(body);
  const last = said.split('\n').at(-1) ?? '';
  if (said.includes('list the files')) {
    return lastMessage(body)?.role === 'tool'
      ? { type: 'text', text: FINAL_TEXT }
      : { type: 'tool-calls', calls: [{ id: 'call_list', name: 'list_directory', input: { path: '.' } }] };
  }
  if (last.includes('long answer')) return { type: 'text', text: LONG_ANSWER };
  if (last.includes('what did I ask before')) {
    return {
      type: 'text',
      text: said.includes('first question about llamas') ? 'You asked about llamas.' : 'I do not know.',
    };
  }
  if (said.includes('Attached file notes.txt'))
    return { type: 'text', text: `Read: ${said.includes('secret recipe') ? 'recipe' : 'nothing'}` };
  return { type: 'text', text: `Answer to: ${last}` };
}

let stack: ChannelStack;
let slack: SlackPlatform;
let channel: ChannelView;
let webhook: string;
const ALICE = 'U0ALICE';
let nextTs = 1_710_000_000;

/** A person writes in channel C1 (a new thread, or in `threadTs`); returns the message's ts. */
async function say(text: string, options: { user?: string; threadTs?: string; files?: unknown[] } = {}) {
  nextTs += 1;
  const ts = `${nextTs}.000200`;
  const response = await slack.sendEvent(webhook, callback(text, ts, options));
  expect(response.status).toBe(200);
  return ts;
}

function callback(
  text: string,
  ts: string,
  options: { user?: string; threadTs?: string; files?: unknown[] } = {},
) {
  return {
    type: 'event_callback',
    team_id: 'T1',
    api_app_id: 'A1',
    event_id: `Ev${ts.replace('.', '')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T1', user_id: 'U0BOT', is_bot: true }],
    event: {
      type: 'message',
      ...(options.files ? { subtype: 'file_share', files: options.files } : {}),
      channel: 'C1',
      channel_type: 'channel',
      user: options.user ?? ALICE,
      text,
      ts,
      ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
    },
  };
}

const inThread = (thread: string) => (post: SlackPost) => post.channel === 'C1' && post.threadTs === thread;

beforeAll(async () => {
  slack = await startSlackPlatform();
  stack = await startChannelStack({ script, publicUrl: PUBLIC_URL, viberName: 'slack-viber' });
  channel = await stack.addChannel({
    kind: 'slack',
    name: 'slack workspace',
    config: { apiBaseUrl: slack.url },
    secrets: { botToken: slack.botToken, signingSecret: slack.signingSecret },
    mode: 'always-ask',
  });
  webhook = stack.webhookOf(channel);
}, 60_000);

afterAll(() => stopChannelStack(stack, slack));

describe('a Slack channel', () => {
  it('keeps its secrets, tests the token with auth.test and answers the URL challenge', async () => {
    expect(channel).toMatchObject({
      kind: 'slack',
      secrets: { botToken: { set: true }, signingSecret: { set: true } },
      status: 'ok',
    });
    expect(JSON.stringify(channel)).not.toContain(slack.botToken);
    expect(JSON.stringify(channel)).not.toContain(slack.signingSecret);
    expect(await stack.api('POST', `/api/channels/${channel.id}/test`)).toEqual({
      ok: true,
      detail: '@openviber in Test',
    });
    const challenge = await slack.sendEvent(webhook, {
      type: 'url_verification',
      challenge: 'abc123',
      token: 'x',
    });
    expect(await challenge.json()).toEqual({ challenge: 'abc123' });
  });

  it('pairs a new person, then answers in the thread with the board link', async () => {
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    const hello = await say('hi');
    const reply = await slack.waitForPost(
      (post) => inThread(hello)(post) && /pairing code is/.test(post.text),
      'the pairing code',
    );
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore);
    await stack.approvePairing(reply.text);

    const asked = await say('what is the weather');
    const answer = await slack.waitForPost(
      (post) => inThread(asked)(post) && post.text.startsWith('Answer to: what is the weather'),
      'the answer in the thread',
    );
    const taskId = taskIdIn(answer.text);
    expect(answer.text).toContain(`${PUBLIC_URL}/tasks/${taskId}`);
    expect((await stack.gateway.rest.getTask(taskId)).task).toMatchObject({
      status: 'completed',
      goal: 'what is the weather',
      options: { mode: 'always-ask' },
    });
  });

  it('continues the conversation of a thread', async () => {
    const thread = await say('first question about llamas');
    await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.includes('Answer to: first question'),
      'first answer',
    );
    await say('what did I ask before', { threadTs: thread });
    const second = await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.includes('llamas.'),
      'second answer',
    );
    expect(second.text).toContain('You asked about llamas.');
  });

  it('asks for approval with Block Kit buttons and runs the tool once Approve is pressed', async () => {
    const thread = await say('please list the files');
    const prompt = await slack.waitForPost(
      (post) => inThread(thread)(post) && post.blocks !== undefined,
      'an approval prompt',
    );
    expect(prompt.text).toContain('list_directory');
    const actions = prompt.blocks!.find((block) => (block as { type: string }).type === 'actions') as {
      elements: Array<{ action_id: string; value: string }>;
    };
    const approve = actions.elements.find((element) => element.action_id === 'openviber_approve')!;
    const pressed = await slack.sendAction(webhook, {
      type: 'block_actions',
      trigger_id: `trigger-${thread}`,
      user: { id: ALICE, username: 'alice', name: 'alice' },
      channel: { id: 'C1' },
      container: { type: 'message', channel_id: 'C1', message_ts: prompt.ts, thread_ts: thread },
      message: { ts: prompt.ts, thread_ts: thread, text: prompt.text },
      actions: [{ action_id: approve.action_id, type: 'button', value: approve.value, action_ts: '1.2' }],
    });
    expect(pressed.status).toBe(200);
    const answer = await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.startsWith(FINAL_TEXT),
      'the answer',
    );
    expect(answer.text).toContain(`${PUBLIC_URL}/tasks/`);
    await slack.waitForPost(
      (post) => inThread(thread)(post) && /^Approved list_directory/.test(post.text),
      'the note',
    );
    // The prompt shows the decision where its buttons were (chat.update).
    const updated = slack.updates.find((update) => update.ts === prompt.ts)!;
    expect(updated.text).toMatch(
      /list_directory[\s\S]*\n\nApproved list_directory \([0-9a-f]{8}\), by alice\.$/,
    );
    expect(JSON.stringify(updated.blocks)).not.toContain('openviber_approve');
  });

  it('refuses a forged or stale signature, starts nothing and keeps serving', async () => {
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    const forged = await slack.sendEvent(webhook, callback('forged order', '1.000001'), {
      secret: 'guessed',
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const stale = await slack.sendEvent(webhook, callback('old order', '1.000002'), {
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    const forgedPress = await slack.sendAction(
      webhook,
      { type: 'block_actions', actions: [] },
      { secret: 'guessed' },
    );
    expect(forgedPress.status).toBe(401);
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore);
    expect(slack.posts.some((post) => /forged order|old order/.test(post.text))).toBe(false);
    // Still serving: the next genuine message is answered.
    const thread = await say('are you still there');
    await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.startsWith('Answer to: are you still there'),
      'answer',
    );
  });

  it('does nothing for a replayed callback: one task, one answer', async () => {
    nextTs += 1;
    const ts = `${nextTs}.000200`;
    const body = callback('only once please', ts);
    const timestamp = Math.floor(Date.now() / 1000);
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    expect((await slack.sendEvent(webhook, body, { timestamp })).status).toBe(200);
    // The same signed bytes again (Slack's own retry, or someone replaying them): accepted, ignored.
    expect((await slack.sendEvent(webhook, body, { timestamp })).status).toBe(200);
    await slack.waitForPost(
      (post) => inThread(ts)(post) && post.text.startsWith('Answer to: only once'),
      'the answer',
    );
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore + 1);
    expect(slack.posts.filter((post) => inThread(ts)(post))).toHaveLength(1);
  });

  it('retries after a 429 with Retry-After and delivers the answer once', async () => {
    slack.rateLimitNext(1, 1);
    const thread = await say('answer despite the rate limit');
    await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.includes('despite the rate limit'),
      'the answer',
    );
    const { deliveries } = await stack.api<{
      deliveries: Array<{ dedupeKey: string; status: string; attempts: number }>;
    }>('GET', `/api/channels/${channel.id}/deliveries`);
    expect(deliveries.find((delivery) => delivery.attempts === 2)).toMatchObject({ status: 'sent' });
    expect(slack.posts.filter(inThread(thread))).toHaveLength(1);
  });

  it('splits a long answer into parts of at most 4,000 characters, in the thread', async () => {
    const thread = await say('give me a long answer');
    await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.includes('/tasks/'),
      'the last part',
    );
    const parts = slack.posts.filter(inThread(thread));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(4_000);
    expect(
      parts
        .map((part) => part.text)
        .join('\n\n')
        .startsWith(LONG_ANSWER),
    ).toBe(true);
  });

  it('passes a text file of the message to the task', async () => {
    const url = slack.addFile('notes.txt', Buffer.from('the secret recipe'));
    const thread = await say('read this', {
      files: [{ id: 'F9', name: 'notes.txt', mimetype: 'text/plain', size: 17, url_private_download: url }],
    });
    const answer = await slack.waitForPost(
      (post) => inThread(thread)(post) && post.text.startsWith('Read:'),
      'the answer',
    );
    expect(answer.text).toMatch(/^Read: recipe/);
  });
});
