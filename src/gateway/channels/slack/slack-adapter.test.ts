import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SlackPlatform, startSlackPlatform } from '../../../../test/support/channels/slack-platform.ts';
import {
  type AdapterReceiver,
  startAdapterReceiver,
} from '../../../../test/support/in-process/adapter-receiver.ts';
import { channelSealing } from '../../../../test/support/in-process/channel-sealing.ts';
import type { ChannelContext, InboundApproval, InboundMessage } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import { splitText } from '../split-text.ts';
import { slackAdapter } from './slack-adapter.ts';
import { callSlack } from './slack-api.ts';

let slack: SlackPlatform;
let receiver: AdapterReceiver;
let context: ChannelContext;

beforeAll(async () => {
  slack = await startSlackPlatform();
  context = {
    id: 'channel_slack',
    kind: 'slack',
    config: { apiBaseUrl: slack.url },
    secrets: { botToken: slack.botToken, signingSecret: slack.signingSecret },
    fetch,
    ...channelSealing('channel_slack'),
  };
  receiver = await startAdapterReceiver(slackAdapter, () => context);
});

afterAll(async () => {
  await receiver?.close();
  await slack?.close();
});

const callback = (event: Record<string, unknown>, eventId = `Ev${Math.random().toString(36).slice(2)}`) => ({
  type: 'event_callback',
  team_id: 'T1',
  api_app_id: 'A1',
  event_id: eventId,
  event_time: Math.floor(Date.now() / 1000),
  authorizations: [{ team_id: 'T1', user_id: 'U0BOT', is_bot: true }],
  event,
});

const lastEvents = () => receiver.results.at(-1)!.events;

describe('slack receive: signatures', () => {
  test('answers the url_verification challenge when signed', async () => {
    const response = await slack.sendEvent(receiver.url, {
      type: 'url_verification',
      challenge: 'c-123',
      token: 'x',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: 'c-123' });
  });

  test('refuses a forged signature, a stale timestamp and a request without headers', async () => {
    const body = callback({ type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1.1' });
    const forged = await slack.sendEvent(receiver.url, body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({
      ok: false,
      error: { code: 'unauthorized', message: 'bad signature' },
    });
    expect(lastEvents()).toEqual([]);

    const stale = await slack.sendEvent(receiver.url, body, {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { message: string } }).error.message).toMatch(/stale/);

    const ahead = await slack.sendEvent(receiver.url, body, {
      timestamp: Math.floor(Date.now() / 1000) + 301,
    });
    expect(ahead.status).toBe(401);

    const bare = await fetch(receiver.url, { method: 'POST', body: JSON.stringify(body) });
    expect(bare.status).toBe(401);

    const challenge = await slack.sendEvent(
      receiver.url,
      { type: 'url_verification', challenge: 'c' },
      { secret: 'x' },
    );
    expect(challenge.status).toBe(401);
  });

  test('a signed body that is not JSON is a 400', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const { slackSignature } = await import('../../../../test/support/channels/slack-platform.ts');
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(slack.signingSecret, timestamp, 'not json'),
      },
      body: 'not json',
    });
    expect(response.status).toBe(400);
  });
});

describe('slack receive: messages', () => {
  test('a channel message starts a thread of its own: the answer goes into it', async () => {
    const response = await slack.sendEvent(
      receiver.url,
      callback({
        type: 'message',
        channel: 'C1',
        channel_type: 'channel',
        user: 'U1',
        text: 'a &lt;b&gt; &amp; c',
        ts: '1700.0001',
      }),
    );
    expect(response.status).toBe(200);
    expect(lastEvents()).toEqual([
      {
        kind: 'message',
        eventId: 'message:C1:1700.0001',
        senderId: 'U1',
        senderName: 'U1',
        conversationKey: 'C1:1700.0001',
        replyTarget: { channel: 'C1', threadTs: '1700.0001' },
        text: 'a <b> & c',
        files: [],
      },
    ]);
  });

  test('a reply in a thread continues that thread', async () => {
    await slack.sendEvent(
      receiver.url,
      callback({
        type: 'message',
        channel: 'C1',
        user: 'U1',
        text: 'more',
        ts: '1700.0009',
        thread_ts: '1700.0001',
      }),
    );
    const event = lastEvents()[0] as InboundMessage;
    expect(event.conversationKey).toBe('C1:1700.0001');
    expect(event.replyTarget).toEqual({ channel: 'C1', threadTs: '1700.0001' });
  });

  test('a direct message is one conversation, answered in place', async () => {
    await slack.sendEvent(
      receiver.url,
      callback({
        type: 'message',
        channel: 'D1',
        channel_type: 'im',
        user: 'U1',
        text: 'hello',
        ts: '1700.0002',
      }),
    );
    const event = lastEvents()[0] as InboundMessage;
    expect(event.conversationKey).toBe('D1');
    expect(event.replyTarget).toEqual({ channel: 'D1' });
  });

  test('a thread of a direct message is a conversation of its own', async () => {
    await slack.sendEvent(
      receiver.url,
      callback({
        type: 'message',
        channel: 'D1',
        channel_type: 'im',
        user: 'U1',
        text: 'in a thread',
        ts: '1700.0005',
        thread_ts: '1700.0002',
      }),
    );
    const event = lastEvents()[0] as InboundMessage;
    expect(event.conversationKey).toBe('D1:1700.0002');
    expect(event.replyTarget).toEqual({ channel: 'D1', threadTs: '1700.0002' });
  });

  test('a mention has the bot removed, and its message twin has the same event id', async () => {
    await slack.sendEvent(
      receiver.url,
      callback({
        type: 'app_mention',
        channel: 'C2',
        user: 'U1',
        text: '<@U0BOT> build it',
        ts: '1700.0003',
      }),
    );
    const mention = lastEvents()[0] as InboundMessage;
    expect(mention.text).toBe('build it');
    await slack.sendEvent(
      receiver.url,
      callback({ type: 'message', channel: 'C2', user: 'U1', text: '<@U0BOT> build it', ts: '1700.0003' }),
    );
    expect((lastEvents()[0] as InboundMessage).eventId).toBe(mention.eventId);
  });

  test('ignores bot messages, edits, the bot itself and other events', async () => {
    const ignored = [
      { type: 'message', channel: 'C1', user: 'U2', bot_id: 'B9', text: 'from a bot', ts: '1.1' },
      { type: 'message', subtype: 'bot_message', channel: 'C1', text: 'bot', ts: '1.2' },
      { type: 'message', subtype: 'message_changed', channel: 'C1', ts: '1.3', message: { text: 'x' } },
      { type: 'message', subtype: 'message_deleted', channel: 'C1', ts: '1.4' },
      { type: 'message', channel: 'C1', user: 'U0BOT', text: 'my own', ts: '1.5' },
      { type: 'reaction_added', user: 'U1', reaction: 'thumbsup' },
      { type: 'message', channel: 'C1', user: 'U1', text: '   ', ts: '1.6' },
    ];
    for (const event of ignored) {
      const response = await slack.sendEvent(receiver.url, callback(event));
      expect(response.status).toBe(200);
      expect(lastEvents()).toEqual([]);
    }
  });

  test('a configured botUserId is ignored too', async () => {
    const saved = context;
    context = { ...context, config: { ...context.config, botUserId: 'U0OTHER' } };
    try {
      const body = {
        ...callback({ type: 'message', channel: 'C1', user: 'U0OTHER', text: 'me', ts: '1.7' }),
      };
      body.authorizations = [];
      await slack.sendEvent(receiver.url, body);
      expect(lastEvents()).toEqual([]);
    } finally {
      context = saved;
    }
  });

  test('files come with the message and are fetched with the bot token', async () => {
    const url = slack.addFile('notes.txt', Buffer.from('the notes'));
    await slack.sendEvent(
      receiver.url,
      callback({
        type: 'message',
        subtype: 'file_share',
        channel: 'C1',
        user: 'U1',
        text: 'see file',
        ts: '1700.0004',
        files: [{ id: 'F1', name: 'notes.txt', mimetype: 'text/plain', size: 9, url_private_download: url }],
      }),
    );
    const event = lastEvents()[0] as InboundMessage;
    expect(event.files).toEqual([{ ref: url, name: 'notes.txt', mediaType: 'text/plain', size: 9 }]);
    const bytes = await slackAdapter.fetchFile!(context, event.files[0]!, 1024);
    expect(bytes.toString()).toBe('the notes');
    await expect(slackAdapter.fetchFile!(context, event.files[0]!, 4)).rejects.toThrow(/over 4/);
    // The token is never sent to a host that is not Slack's.
    await expect(
      slackAdapter.fetchFile!(context, { ...event.files[0]!, ref: 'http://127.0.0.2:1/x' }, 1024),
    ).rejects.toThrow(/not Slack's file host/);
  });
});

describe('slack receive: buttons', () => {
  const press = (value: string, actionId = 'openviber_approve') => ({
    type: 'block_actions',
    trigger_id: `trigger-${value}-${actionId}`,
    user: { id: 'U1', username: 'ada', name: 'ada' },
    channel: { id: 'C1', name: 'general' },
    container: { type: 'message', channel_id: 'C1', message_ts: '1700.0100', thread_ts: '1700.0001' },
    message: { ts: '1700.0100', thread_ts: '1700.0001', text: 'The task wants to run...' },
    response_url: 'https://hooks.slack.invalid/x',
    actions: [{ action_id: actionId, block_id: 'b', type: 'button', value, action_ts: '1700.0200' }],
  });

  test('Approve and Deny presses are approvals of the thread', async () => {
    const response = await slack.sendAction(receiver.url, press('y:task_1:0123abcd'));
    expect(response.status).toBe(200);
    expect(lastEvents()).toEqual([
      {
        kind: 'approval',
        eventId: 'action:trigger-y:task_1:0123abcd-openviber_approve',
        senderId: 'U1',
        senderName: 'ada',
        conversationKey: 'C1:1700.0001',
        replyTarget: { channel: 'C1', threadTs: '1700.0001' },
        taskId: 'task_1',
        approvalRef: '0123abcd',
        approved: true,
        press: { channel: 'C1', ts: '1700.0100', text: 'The task wants to run...' },
      },
    ]);
    await slack.sendAction(receiver.url, press('n:task_1:0123abcd', 'openviber_deny'));
    expect((lastEvents()[0] as InboundApproval).approved).toBe(false);
  });

  test('once decided, the prompt shows the decision instead of its buttons (chat.update)', async () => {
    await slackAdapter.send(
      context,
      { channel: 'C1', threadTs: '1700.0001' },
      { kind: 'approval', text: 'The task wants to run...', taskId: 'task_1', approvalRef: '0123abcd' },
      'p1:0',
    );
    const prompt = slack.posts.at(-1)!;
    await slack.sendAction(receiver.url, {
      ...press('y:task_1:0123abcd'),
      trigger_id: 'trigger-update',
      message: { ts: prompt.ts, thread_ts: '1700.0001', text: 'The task wants to run...' },
    });
    const approval = lastEvents()[0] as InboundApproval;
    // Undecided (no such approval): the prompt stays; the note goes to the thread (false).
    const outcome = { note: 'Approved shell (0123abcd).', by: 'ada' };
    expect(await slackAdapter.answerPress!(context, approval.press!, { ...outcome, decided: false })).toBe(
      false,
    );
    expect(slack.updates).toEqual([]);
    expect(await slackAdapter.answerPress!(context, approval.press!, { ...outcome, decided: true })).toBe(
      false,
    );
    expect(slack.updates.at(-1)).toMatchObject({
      channel: 'C1',
      ts: prompt.ts,
      text: 'The task wants to run...\n\nApproved shell (0123abcd), by ada.',
    });
    expect(JSON.stringify(slack.updates.at(-1)!.blocks)).not.toContain('button');
  });

  test('other actions and forged presses carry nothing', async () => {
    await slack.sendAction(receiver.url, press('whatever', 'someone_elses_button'));
    expect(lastEvents()).toEqual([]);
    const forged = await slack.sendAction(receiver.url, press('y:task_1:0123abcd'), { secret: 'nope' });
    expect(forged.status).toBe(401);
    expect(lastEvents()).toEqual([]);
  });
});

describe('slack send', () => {
  const target = { channel: 'C1', threadTs: '1700.0001' };

  test('text goes into the thread, escaped', async () => {
    await slackAdapter.send(context, target, { kind: 'text', text: 'a <b> & c' }, 'd1:0');
    expect(slack.posts.at(-1)).toMatchObject({
      channel: 'C1',
      threadTs: '1700.0001',
      text: 'a &lt;b&gt; &amp; c',
    });
    await slackAdapter.send(context, { channel: 'D1' }, { kind: 'text', text: 'direct' }, 'd2:0');
    expect(slack.posts.at(-1)).toMatchObject({ channel: 'D1', threadTs: undefined, text: 'direct' });
  });

  test('a long answer goes in parts of at most 4,000 characters, all in the thread, in order', async () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `${i} ${'word '.repeat(60)}`.trim());
    const long = paragraphs.join('\n\n');
    const parts = splitText(long, slackAdapter.maxTextLength);
    expect(parts.length).toBeGreaterThan(1);
    const before = slack.posts.length;
    for (const [index, text] of parts.entries()) {
      await slackAdapter.send(context, target, { kind: 'text', text }, `d3:${index}`);
    }
    const sent = slack.posts.slice(before);
    expect(sent.every((post) => post.text.length <= 4_000 && post.threadTs === '1700.0001')).toBe(true);
    expect(sent.map((post) => post.text).join('\n\n')).toBe(long);
  });

  test('an approval prompt carries Approve and Deny buttons', async () => {
    await slackAdapter.send(
      context,
      target,
      { kind: 'approval', text: 'Run shell?', taskId: 'task_9', approvalRef: 'deadbeef' },
      'd4:0',
    );
    const post = slack.posts.at(-1)!;
    expect(post.text).toBe('Run shell?');
    expect(post.threadTs).toBe('1700.0001');
    const actions = post.blocks!.find((block) => (block as { type: string }).type === 'actions') as {
      elements: Array<{ action_id: string; value: string }>;
    };
    expect(actions.elements.map((element) => [element.action_id, element.value])).toEqual([
      ['openviber_approve', 'y:task_9:deadbeef'],
      ['openviber_deny', 'n:task_9:deadbeef'],
    ]);
  });

  test('a file is uploaded in three steps into the thread', async () => {
    await slackAdapter.send(
      context,
      target,
      {
        kind: 'file',
        name: 'report.txt',
        mediaType: 'text/plain',
        base64: Buffer.from('report body').toString('base64'),
        caption: 'the report',
      },
      'd5:0',
    );
    expect(slack.uploads.at(-1)).toMatchObject({
      filename: 'report.txt',
      channel: 'C1',
      threadTs: '1700.0001',
    });
    expect(slack.uploads.at(-1)!.bytes.toString()).toBe('report body');
  });

  test('rate limits and outages are retryable, with Slack Retry-After', async () => {
    slack.rateLimitNext(1, 7);
    const limited = await slackAdapter
      .send(context, target, { kind: 'text', text: 'x' }, 'd6:0')
      .catch((e) => e);
    expect(limited).toBeInstanceOf(ChannelSendError);
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 7_000 });
    expect(limited.message).toMatch(/429 ratelimited/);

    slack.failNext(1);
    const down = await slackAdapter
      .send(context, target, { kind: 'text', text: 'x' }, 'd7:0')
      .catch((e) => e);
    expect(down).toMatchObject({ retryable: true });
    expect(down.message).toMatch(/503/);
  });

  test('a bad token and an unknown channel are permanent, and never name the token', async () => {
    const bad = { ...context, secrets: { ...context.secrets, botToken: 'xoxb-wrong' } };
    const refused = await slackAdapter.send(bad, target, { kind: 'text', text: 'x' }, 'd8:0').catch((e) => e);
    expect(refused).toMatchObject({ retryable: false, message: 'slack chat.postMessage: invalid_auth' });
    const missing = await callSlack(context, 'chat.postMessage', { channel: '', text: 'x' }).catch((e) => e);
    expect(missing).toMatchObject({ retryable: false, message: 'slack chat.postMessage: channel_not_found' });
    const noChannel = await slackAdapter
      .send(context, {}, { kind: 'text', text: 'x' }, 'd9:0')
      .catch((e) => e);
    expect(noChannel).toMatchObject({ retryable: false });
  });

  test("Slack's own trouble answered as {ok: false} is retryable; other codes are not", async () => {
    const answering =
      (error: string): typeof fetch =>
      async () =>
        new Response(JSON.stringify({ ok: false, error }), {
          headers: { 'content-type': 'application/json' },
        });
    for (const code of ['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']) {
      const error = await slackAdapter
        .send({ ...context, fetch: answering(code) }, target, { kind: 'text', text: 'x' }, 'd11:0')
        .catch((e) => e);
      expect(error).toMatchObject({ retryable: true, message: `slack chat.postMessage: ${code}` });
    }
    for (const code of ['not_in_channel', 'is_archived', 'token_revoked']) {
      const error = await slackAdapter
        .send({ ...context, fetch: answering(code) }, target, { kind: 'text', text: 'x' }, 'd12:0')
        .catch((e) => e);
      expect(error).toMatchObject({ retryable: false });
    }
  });

  test('Slack unreachable is retryable', async () => {
    const gone = { ...context, config: { apiBaseUrl: 'http://127.0.0.1:1' } };
    const error = await slackAdapter.send(gone, target, { kind: 'text', text: 'x' }, 'd10:0').catch((e) => e);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/unreachable/);
  });
});

describe('slack config and test', () => {
  test('test() asks auth.test', async () => {
    expect(await slackAdapter.test(context)).toBe('@openviber in Test');
    const bad = { ...context, secrets: { ...context.secrets, botToken: 'xoxb-wrong' } };
    await expect(slackAdapter.test(bad)).rejects.toThrow('slack auth.test: invalid_auth');
  });

  test('checkConfig names the bad field', () => {
    expect(slackAdapter.checkConfig({}, ['botToken', 'signingSecret'])).toBeNull();
    expect(slackAdapter.checkConfig({ apiBaseUrl: 'ftp://x' }, [])).toMatch(/^config.apiBaseUrl/);
    expect(slackAdapter.checkConfig({ botUserId: 'nobody' }, [])).toMatch(/^config.botUserId/);
    expect(slackAdapter.requiredSecrets).toEqual(['botToken', 'signingSecret']);
  });
});
