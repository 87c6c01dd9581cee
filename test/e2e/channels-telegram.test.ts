import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import {
  type ChannelStack,
  pairingCodeIn,
  startChannelStack,
  stopChannelStack,
  taskIdIn,
  viberChannels,
} from '../support/channels/channel-stack.ts';
import {
  startTelegramApiServer,
  type TelegramApiServer,
  type TelegramSent,
} from '../support/channels/telegram-api-server.ts';
import { FINAL_TEXT, lastMessage, userText } from '../support/e2e-fixtures.ts';
import { oneSecondAhead } from '../support/job-ticks.ts';
import { type LocalHttpServer, startLocalHttpServer } from '../support/local-http-server.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 18, channels: Telegram end to end. A real gateway and daemon (processes), the scripted
// OpenAI-compatible model, and a Telegram Bot API fixture on 127.0.0.1 that the gateway long-polls
// as it would api.telegram.org. One stack for the file; each test writes in its own chat.

const PUBLIC_URL = 'https://viber.example.test';
const LONG_ANSWER = Array.from(
  { length: 12 },
  (_, index) => `Paragraph ${index}: ${'word '.repeat(150).trim()}`,
).join('\n\n');

/** Answers by the user's last words, so tests in any order get their own script. */
function script({ body }: { body: ChatRequestBody }): ScriptTurn {
  const said = userText(body);
  const last = said.split('\n').at(-1) ?? '';
  if (said.includes('evening screenshot')) {
    // A scheduled job's task: opens a page, takes a screenshot (visual evidence), answers.
    const results = body.messages.filter((message) => message.role === 'tool').length;
    if (results === 0)
      return {
        type: 'tool-calls',
        calls: [{ id: 'call_open', name: 'browser_open', input: { url: page.url } }],
      };
    if (results === 1)
      return { type: 'tool-calls', calls: [{ id: 'call_shot', name: 'browser_screenshot', input: {} }] };
    return { type: 'text', text: 'Evening screenshot taken.' };
  }
  if (said.includes('list the files')) {
    return lastMessage(body)?.role === 'tool'
      ? { type: 'text', text: FINAL_TEXT }
      : { type: 'tool-calls', calls: [{ id: 'call_list', name: 'list_directory', input: { path: '.' } }] };
  }
  if (last.includes('long answer')) return { type: 'text', text: LONG_ANSWER };
  // Held until the test has sent a follow-up while the task runs.
  if (last.includes('slow question'))
    return { type: 'text', text: 'Slow answer.', beforeChunk: () => slowGate.wait() };
  if (last.includes('and one more thing')) return { type: 'text', text: 'Answered the follow-up too.' };
  if (last.includes('what did I ask before')) {
    return {
      type: 'text',
      text: said.includes('first question about llamas') ? 'You asked about llamas.' : 'I do not know.',
    };
  }
  return { type: 'text', text: `Answer to: ${last}` };
}

const slowGate = createGate();
let page: LocalHttpServer;
let stack: ChannelStack;
let telegram: TelegramApiServer;
let channel: ChannelView;
const alice = { id: 501, first_name: 'Alice', username: 'alice' };
/** Senders pair once per channel: each test's chat has a person of its own. */
const userOf = (chatId: number) =>
  chatId === 1001 ? alice : { id: chatId * 10, first_name: `User ${chatId}` };

const sentTo = (chatId: number) => (sent: TelegramSent) => sent.chatId === String(chatId);

/** Pairs a user the way a person does: writes, reads the code, has an operator approve it. */
async function pair(chatId: number, user = userOf(chatId)): Promise<void> {
  telegram.pushMessage({ chatId, from: user, text: 'hi' });
  const reply = await telegram.waitForSent(
    (sent) => sentTo(chatId)(sent) && /pairing code is/.test(sent.text ?? ''),
    'pairing code',
  );
  await stack.approvePairing(reply.text!);
}

beforeAll(async () => {
  page = await startLocalHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>Sales</title><h1 style="color:#1f8a4c">Sales: 42 today</h1>');
  });
  telegram = await startTelegramApiServer();
  stack = await startChannelStack({ script, publicUrl: PUBLIC_URL, viberName: 'channel-viber' });
  channel = await stack.addChannel({
    kind: 'telegram',
    name: 'test bot',
    config: { apiBaseUrl: telegram.url, receive: 'polling', pollTimeoutSeconds: 5 },
    secrets: { botToken: telegram.token },
    mode: 'always-ask',
  });
}, 60_000);

afterAll(() => stopChannelStack(stack, telegram, page));

describe('a Telegram channel', () => {
  it('keeps the bot token secret and tests it with getMe', async () => {
    expect(channel).toMatchObject({ kind: 'telegram', secrets: { botToken: { set: true } }, status: 'ok' });
    expect(JSON.stringify(channel)).not.toContain(telegram.token);
    expect(channel.webhookUrl).toBe(`${PUBLIC_URL}/channels/${channel.id}/webhook`);
    expect(await stack.api('POST', `/api/channels/${channel.id}/test`)).toEqual({
      ok: true,
      detail: '@viber_test_bot',
    });
  });

  it('sends an unknown sender a pairing code, starts nothing, then works once an operator approves', async () => {
    const chatId = 1001;
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    await pair(chatId);
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore);
    const senders = await stack.api<{ senders: Array<{ senderId: string; status: string }> }>(
      'GET',
      `/api/channels/${channel.id}/senders`,
    );
    expect(senders.senders).toContainEqual(
      expect.objectContaining({ senderId: String(alice.id), status: 'allowed' }),
    );

    const asked = telegram.pushMessage({ chatId, from: alice, text: 'what is the weather', threadId: 77 });
    const answer = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').startsWith('Answer to: what is the weather'),
      'the answer in the chat',
    );
    // In the same forum topic, replying to the message, with the board link.
    expect(answer.threadId).toBe(77);
    expect(answer.replyTo).toBeGreaterThan(0);
    const taskId = taskIdIn(answer.text!);
    expect(answer.text).toContain(`${PUBLIC_URL}/tasks/${taskId}`);
    const detail = await stack.gateway.rest.getTask(taskId);
    expect(detail.task).toMatchObject({
      status: 'completed',
      goal: 'what is the weather',
      options: { mode: 'always-ask' },
    });
    expect(asked).toBeGreaterThan(0);
  });

  it('continues the conversation: a new task carries what was said before', async () => {
    const chatId = 1002;
    await pair(chatId);
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'first question about llamas' });
    await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes('Answer to: first question'),
      'first answer',
    );
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'what did I ask before' });
    const second = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes('llamas.'),
      'second answer',
    );
    expect(second.text).toContain('You asked about llamas.');
  });

  it('asks for approval with buttons and runs the tool once Approve is pressed', async () => {
    const chatId = 1003;
    await pair(chatId);
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'please list the files' });
    const prompt = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && sent.buttons.length === 2,
      'an approval prompt',
    );
    expect(prompt.text).toContain('list_directory');
    expect(prompt.buttons.map(([text]) => text)).toEqual(['Approve', 'Deny']);
    const approve = prompt.buttons.find(([text]) => text === 'Approve')![1];
    telegram.pushCallback({ from: userOf(chatId), sent: prompt, data: approve });
    const answer = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').startsWith(FINAL_TEXT),
      'the answer after approval',
    );
    expect(answer.text).toContain(`${PUBLIC_URL}/tasks/`);
    expect(telegram.callbackAnswers.at(-1)?.text).toMatch(/^Approved list_directory/);
    // The prompt shows the decision instead of its buttons (editMessageText without a keyboard).
    expect(telegram.edits).toContainEqual({
      method: 'editMessageText',
      chatId: String(chatId),
      messageId: prompt.messageId,
      text: expect.stringMatching(/\n\nApproved list_directory \([0-9a-f]{8}\), by User 1003\.$/),
      buttons: [],
    });
  });

  it('ignores a button press from someone not paired', async () => {
    const chatId = 1004;
    const mallory = { id: 666, first_name: 'Mallory' };
    const fakePrompt: TelegramSent = {
      method: 'sendMessage',
      chatId: String(chatId),
      text: '',
      threadId: undefined,
      replyTo: undefined,
      buttons: [],
      messageId: 1,
    };
    telegram.pushCallback({ from: mallory, sent: fakePrompt, data: 'y:task_x:0123abcd' });
    await waitFor(
      () => telegram.callbackAnswers.some((answer) => /Only paired people/.test(answer.text ?? '')),
      {
        description: 'the refusal',
      },
    );
  });

  it('retries after a 429 with retry_after and delivers the answer exactly once', async () => {
    const chatId = 1005;
    await pair(chatId);
    telegram.failNext('sendMessage', 1, 429, 1);
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'answer despite the rate limit' });
    await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes('despite the rate limit'),
      'the answer',
    );
    const deliveries = await stack.api<{
      deliveries: Array<{ dedupeKey: string; status: string; attempts: number }>;
    }>('GET', `/api/channels/${channel.id}/deliveries`);
    const answer = deliveries.deliveries.find(
      (delivery) => delivery.dedupeKey.startsWith('answer:') && delivery.attempts === 2,
    );
    expect(answer).toMatchObject({ status: 'sent', attempts: 2 });
    // Exactly once: one answer in the chat, after the pairing code.
    expect(
      telegram.sent.filter((sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes('despite')),
    ).toHaveLength(1);
  });

  it('splits a long answer at paragraph breaks within 4096 characters', async () => {
    const chatId = 1006;
    await pair(chatId);
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'give me a long answer' });
    await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes('/tasks/'),
      'the last part',
    );
    const parts = telegram.sent.filter(
      (sent) => sentTo(chatId)(sent) && !/pairing code/.test(sent.text ?? ''),
    );
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.text!.length).toBeLessThanOrEqual(4096);
    expect(parts.map((part) => part.text).join('\n\n')).toMatch(new RegExp(`^${LONG_ANSWER.slice(0, 200)}`));
    expect(
      parts
        .map((part) => part.text)
        .join('\n\n')
        .startsWith(LONG_ANSWER),
    ).toBe(true);
  });

  it('ignores a blocked sender', async () => {
    const chatId = 1007;
    const bob = { id: 777, first_name: 'Bob' };
    telegram.pushMessage({ chatId, from: bob, text: 'hello' });
    await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && /pairing code/.test(sent.text ?? ''),
      'a pairing code',
    );
    await stack.api('POST', '/api/channel-senders/block', {
      channelId: channel.id,
      senderId: String(bob.id),
    });
    const before = telegram.sent.length;
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    telegram.pushMessage({ chatId, from: bob, text: 'let me in' });
    // A paired user's message after it is answered: the blocked one was read and passed over.
    await pair(1008);
    expect(telegram.sent.slice(before).filter(sentTo(chatId))).toEqual([]);
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore);
  });

  it('passes a text file into the task and names an image it cannot pass', async () => {
    const chatId = 1009;
    await pair(chatId);
    telegram.pushMessage({
      chatId,
      from: userOf(chatId),
      caption: 'read the notes',
      document: {
        name: 'notes.txt',
        mimeType: 'text/plain',
        bytes: Buffer.from('the secret word is ocelot\n'),
      },
    });
    const answer = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').startsWith('Answer to:'),
      'the answer',
    );
    const taskId = taskIdIn(answer.text!);
    const { task } = await stack.gateway.rest.getTask(taskId);
    expect(task.goal).toBe(
      'read the notes\n\nAttached file notes.txt (text/plain):\n```\nthe secret word is ocelot\n\n```',
    );
    expect(telegram.calls).toContain('getFile');

    telegram.pushMessage({
      chatId,
      from: userOf(chatId),
      caption: 'look at this',
      photo: { bytes: Buffer.alloc(2048, 1) },
    });
    const second = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes('[attached: photo-'),
      'the answer about the photo',
    );
    expect(second.text).toContain('(image/jpeg, 2048 bytes); not passed to the task');
  });

  it('in webhook mode registers with setWebhook and accepts only updates with its secret token', async () => {
    const webhookSecret = 'telegram-webhook-secret-token-42';
    const hooked = await stack.api<ChannelView>('POST', '/api/channels', {
      kind: 'telegram',
      name: 'webhook bot',
      config: { apiBaseUrl: telegram.url, receive: 'webhook' },
      secrets: { botToken: telegram.token, webhookSecret },
    });
    expect(telegram.webhooks.at(-1)).toEqual({
      url: `${PUBLIC_URL}/channels/${hooked.id}/webhook`,
      secretToken: webhookSecret,
    });
    const update = telegram.takeUpdate(
      telegram.pushMessage({ chatId: 2001, from: { id: 9001, first_name: 'Hooked' }, text: 'hi' }),
    );
    const deliver = (token: string) => telegram.postUpdate(stack.webhookOf(hooked), update, token);
    expect((await deliver('wrong-token')).status).toBe(401);
    expect((await deliver(webhookSecret)).status).toBe(200);
    // Telegram redelivers until it gets a 200: a repeat is answered 200 and does nothing.
    expect((await deliver(webhookSecret)).status).toBe(200);
    await telegram.waitForSent(
      (sent) => sent.chatId === '2001' && /pairing code/.test(sent.text ?? ''),
      'the pairing code',
    );
    // A later update is answered after anything the repeat could have queued (the queue keeps order).
    const later = telegram.takeUpdate(
      telegram.pushMessage({ chatId: 2001, from: { id: 9001, first_name: 'Hooked' }, text: 'again' }),
    );
    const posted = await telegram.postUpdate(stack.webhookOf(hooked), later, webhookSecret);
    expect(posted.status).toBe(200);
    await waitFor(() => telegram.sent.filter((sent) => sent.chatId === '2001').length >= 2, {
      description: 'two codes',
    });
    const codes = telegram.sent.filter((sent) => sent.chatId === '2001');
    expect(codes).toHaveLength(2);
    // A pending sender who writes again gets a new code.
    expect(codes[0]!.text).not.toBe(codes[1]!.text);
    await stack.api('DELETE', `/api/channels/${hooked.id}`);
  });

  it('is managed with viber channels: list, test, senders, approve', async () => {
    const cli = (...args: string[]) => viberChannels(stack.gateway, ...args);
    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${channel.id}  ok       telegram  test bot`);
    expect(await cli('test', channel.id)).toMatchObject({ code: 0, stdout: 'ok: @viber_test_bot\n' });
    telegram.pushMessage({ chatId: 1010, from: { id: 10100, first_name: 'Carol' }, text: 'hello' });
    const reply = await telegram.waitForSent(
      (sent) => sent.chatId === '1010' && /pairing code/.test(sent.text ?? ''),
      'a code',
    );
    const code = pairingCodeIn(reply.text!);
    expect((await cli('senders', channel.id, '--status', 'pending')).stdout).toContain(
      '10100          pending  Carol',
    );
    expect(await cli('approve', code)).toMatchObject({
      code: 0,
      stdout: `allowed Carol (10100) on ${channel.id}\n`,
    });
    const again = await cli('approve', code);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no sender is waiting with that pairing code');
    const added = await cli(
      'add',
      'webhook',
      '--name',
      'cli hook',
      '--secret-env',
      'signingSecret=NOPE_NOT_SET',
    );
    expect(added.code).toBe(2);
    expect(added.stderr).toContain('the environment variable NOPE_NOT_SET is not set');
  });

  it('sends a message written while the task runs to it as a follow-up', async () => {
    const chatId = 1011;
    await pair(chatId);
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'a slow question' });
    const task = await waitFor(
      async () =>
        (await stack.gateway.rest.listTasks()).find(
          (one) => one.goal === 'a slow question' && one.status === 'running',
        ),
      { description: 'the running task' },
    );
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'and one more thing' });
    await waitFor(async () => (await stack.gateway.rest.getTask(task.id)).messages.length === 1, {
      description: 'the follow-up queued',
    });
    slowGate.open();
    const answer = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').includes(`/tasks/${task.id}`),
      'the answer',
    );
    expect(answer.text).toMatch(/^Answered the follow-up too\./);
    const detail = await stack.gateway.rest.getTask(task.id);
    expect(detail.messages).toEqual([
      expect.objectContaining({ message: 'and one more thing', injectionMode: 'followup' }),
    ]);
    expect((await stack.gateway.rest.listTasks()).filter((one) => one.goal === 'and one more thing')).toEqual(
      [],
    );
  });

  it('answers an approval typed as /deny <ref>', async () => {
    const chatId = 1012;
    await pair(chatId);
    telegram.pushMessage({ chatId, from: userOf(chatId), text: 'now list the files' });
    const prompt = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && sent.buttons.length === 2,
      'an approval prompt',
    );
    const ref = /\/deny ([0-9a-f]{8})/.exec(prompt.text!)![1]!;
    telegram.pushMessage({ chatId, from: userOf(chatId), text: `/deny ${ref} not now` });
    await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && sent.text === `Denied list_directory (${ref}).`,
      'the note',
    );
    const answer = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').startsWith(FINAL_TEXT),
      'the answer',
    );
    const taskId = taskIdIn(answer.text!);
    const stream = await stack.gateway.follow(taskId);
    await stream.finished;
    expect(stream.chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-approval-response', approved: false }),
    );
  });

  it("sends a scheduled job's answer, with its screenshot as a photo, to a chat nobody wrote in", async () => {
    const base = {
      name: 'evening report',
      goal: 'take the evening screenshot',
      mode: 'always-execute',
      target: { type: 'viber', viberId: channel.viberId },
    };
    // The channel is checked when the job is created.
    const unknown = await stack.gateway.rest.request('POST', '/api/jobs', {
      body: {
        ...base,
        cron: '0 3 * * *',
        delivery: { to: 'channel', channelId: 'channel_nope', conversationKey: '1' },
      },
    });
    expect(unknown.status).toBe(400);
    const messageOf = (response: { body: unknown }) =>
      (response.body as { error: { message: string } }).error.message;
    expect(messageOf(unknown)).toBe('delivery.channelId: channel channel_nope not found');
    const notAChat = await stack.gateway.rest.request('POST', '/api/jobs', {
      body: {
        ...base,
        cron: '0 3 * * *',
        delivery: { to: 'channel', channelId: channel.id, conversationKey: 'general' },
      },
    });
    expect(notAChat.status).toBe(400);
    expect(messageOf(notAChat)).toMatch(/^delivery\.conversationKey: "general" is not a telegram chat/);

    const chatId = 1013;
    const { cron } = oneSecondAhead(5);
    const job = await stack.api<{ id: string }>('POST', '/api/jobs', {
      ...base,
      cron,
      timeZone: 'UTC',
      delivery: { to: 'channel', channelId: channel.id, conversationKey: String(chatId) },
    });
    const answer = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && (sent.text ?? '').startsWith('Evening screenshot taken.'),
      'the job answer in the chat',
      60_000,
    );
    const { runs } = await stack.api<{ runs: Array<{ taskId: string | null; status: string }> }>(
      'GET',
      `/api/jobs/${job.id}/runs`,
    );
    expect(runs).toHaveLength(1);
    expect(answer.text).toContain(`${PUBLIC_URL}/tasks/${runs[0]!.taskId}`);
    // The task's screenshot, the board's visual evidence, as a photo in the same chat.
    const photo = await telegram.waitForSent(
      (sent) => sentTo(chatId)(sent) && sent.method === 'sendPhoto',
      'the screenshot',
    );
    expect(photo.file).toMatchObject({ name: 'screenshot-call_shot.png', type: 'image/png' });
    expect(photo.file!.bytes.subarray(1, 4).toString()).toBe('PNG');
    const served = await stack.gateway.rest.request(
      'GET',
      `/api/tasks/${runs[0]!.taskId}/screenshots/screenshot-call_shot.png`,
    );
    expect(served.status).toBe(200);
    expect(telegram.sent.filter((sent) => sentTo(chatId)(sent) && sent.method === 'sendPhoto')).toHaveLength(
      1,
    );
  });
});
