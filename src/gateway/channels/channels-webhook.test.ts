import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import {
  type LocalHttpServer,
  type RecordedRequest,
  startLocalHttpServer,
} from '../../../test/support/local-http-server.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { ChannelView } from '../../protocol/index.ts';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  signBody,
  TIMESTAMP_HEADER,
  verifySignature,
} from './channel-signature.ts';

// Issue 18, channels: the generic signed webhook. A gateway in process, a receiver on 127.0.0.1
// for its signed answers. Forged, stale and replayed requests are refused and start nothing; the
// gateway keeps serving; answers out are signed the same way and retried until accepted.

const SECRET = 'webhook-signing-secret-0123456789';
let harness: TestGateway;
let receiver: LocalHttpServer;
/** The receiver answers 500 to this many posts first (the far side is down), then 200. */
let failPosts = 0;
let channel: ChannelView;
let viberId: string;

function signed(body: object, options: { eventId?: string; timestamp?: number; secret?: string } = {}) {
  const text = JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    text,
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signBody(options.secret ?? SECRET, timestamp, text),
      [EVENT_ID_HEADER]: options.eventId ?? `evt-${Math.random().toString(36).slice(2)}`,
    },
  };
}

async function post(request: { text: string; headers: Record<string, string> }) {
  const response = await fetch(`${harness.gateway.url}/channels/${channel.id}/webhook`, {
    method: 'POST',
    headers: request.headers,
    body: request.text,
  });
  return {
    status: response.status,
    body: (await response.json()) as { ok: boolean; error?: { code: string; message: string } },
  };
}

const message = (sender: string, text: string) => ({
  type: 'message',
  sender: { id: sender, name: `Person ${sender}` },
  conversation: `ticket-${sender}`,
  text,
});

/** The receiver's posts that verify with the secret, parsed. */
function verifiedPosts(): Array<{
  request: RecordedRequest;
  body: { message: { text: string }; conversation: string };
}> {
  return receiver.requests
    .filter(
      (request) =>
        verifySignature(SECRET, new Headers(request.headers as Record<string, string>), request.body).ok,
    )
    .map((request) => ({ request, body: JSON.parse(request.body) }));
}

const taskCount = async () => (await harness.api('GET', '/api/tasks')).json.tasks.length as number;

beforeAll(async () => {
  receiver = await startLocalHttpServer((_request, response) => {
    const status = failPosts > 0 ? 500 : 200;
    if (failPosts > 0) failPosts -= 1;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end('{}');
  });
  harness = await TestGateway.start();
  // A viber with no daemon: a task it is given stays pending, which is all this file looks at.
  viberId = (await harness.gateway.registerViber('webhook-target')).id;
  const created = await harness.api('POST', '/api/channels', {
    kind: 'webhook',
    name: 'helpdesk',
    config: { url: `${receiver.url}/answers` },
    secrets: { signingSecret: SECRET },
    viberId,
  });
  expect(created.status).toBe(201);
  channel = created.json;
});

afterAll(async () => {
  await harness?.cleanup();
  await receiver?.close();
});

describe('the signed webhook channel', () => {
  it('never returns the signing secret and tests the far side with a signed ping', async () => {
    expect(JSON.stringify(channel)).not.toContain(SECRET);
    expect(channel.secrets).toEqual({ signingSecret: { set: true } });
    const test = await harness.api('POST', `/api/channels/${channel.id}/test`);
    expect(test.json).toMatchObject({ ok: true });
    expect(verifiedPosts().some(({ body }) => (body as unknown as { type: string }).type === 'ping')).toBe(
      true,
    );
  });

  it('refuses a forged signature, a stale timestamp and a replay, and starts nothing', async () => {
    const before = await taskCount();
    const forged = await post(signed(message('1', 'forged'), { secret: 'not-the-secret-at-all-000000' }));
    expect(forged).toEqual({
      status: 401,
      body: { ok: false, error: { code: 'unauthorized', message: 'bad signature' } },
    });
    const stale = await post(
      signed(message('1', 'stale'), { timestamp: Math.floor(Date.now() / 1000) - 301 }),
    );
    expect(stale.status).toBe(401);
    expect(stale.body.error?.message).toMatch(/^stale timestamp/);
    const unsigned = await fetch(`${harness.gateway.url}/channels/${channel.id}/webhook`, {
      method: 'POST',
      body: JSON.stringify(message('1', 'unsigned')),
    });
    expect(unsigned.status).toBe(401);
    const unknownChannel = await fetch(`${harness.gateway.url}/channels/chan_nope/webhook`, {
      method: 'POST',
      body: '{}',
    });
    expect(unknownChannel.status).toBe(404);

    // Signed properly: an unknown sender is sent a pairing code (signed, to the receiver).
    const first = signed(message('1', 'hello'), { eventId: 'evt-replayed' });
    expect(await post(first)).toEqual({ status: 200, body: { ok: true } });
    const replay = await post(first);
    expect(replay.status).toBe(409);
    expect(replay.body.error?.message).toContain('evt-replayed');
    const codes = await waitFor(
      () => {
        const found = verifiedPosts().filter(({ body }) => /pairing code is/.test(body.message?.text ?? ''));
        return found.length > 0 ? found : undefined;
      },
      { description: 'a signed pairing code' },
    );
    expect(codes).toHaveLength(1);
    expect(codes[0]!.body.conversation).toBe('ticket-1');
    expect(await taskCount()).toBe(before);
    expect((await harness.api('GET', '/health')).status).toBe(200);
  });

  it('starts a task for an approved sender, answers it retried until the far side accepts', async () => {
    await post(signed(message('2', 'first contact')));
    const code = await waitFor(() => {
      const post = verifiedPosts().find(
        ({ body }) => body.conversation === 'ticket-2' && /pairing code is/.test(body.message?.text ?? ''),
      );
      return post ? /pairing code is ([A-Z0-9-]+)/.exec(post.body.message.text)![1] : undefined;
    });
    const approved = await harness.api('POST', '/api/channel-senders/approve', { code });
    expect(approved.json).toMatchObject({ senderId: '2', status: 'allowed' });
    const reused = await harness.api('POST', '/api/channel-senders/approve', { code });
    expect(reused.status).toBe(404);

    const before = await taskCount();
    expect(await post(signed(message('2', 'please summarise ticket 2')))).toEqual({
      status: 200,
      body: { ok: true },
    });
    const tasks = await waitFor(async () => {
      const listed = (await harness.api('GET', '/api/tasks')).json.tasks as Array<{
        id: string;
        goal: string;
      }>;
      return listed.length > before ? listed : undefined;
    });
    expect(tasks[0]).toMatchObject({ goal: 'please summarise ticket 2', viberId });

    // An answer to a chat goes out through the queue: the far side is down twice, then accepts.
    failPosts = 3;
    await harness.api('POST', `/api/tasks/${tasks[0]!.id}/stop`);
    const answer = await waitFor(
      () =>
        verifiedPosts().find(
          ({ body }) =>
            body.conversation === 'ticket-2' && /The task was stopped/.test(body.message?.text ?? ''),
        ),
      { description: 'the stopped answer, after retries', timeoutMs: 30_000 },
    );
    expect(answer.body.message.text).toContain(`/tasks/${tasks[0]!.id}`);
    // After 3 failed attempts the operator is told, on the channel; the gateway keeps serving.
    const failing = await waitFor(
      async () => {
        const view = (await harness.api('GET', `/api/channels/${channel.id}`)).json as ChannelView;
        return view.status === 'failing' ? view : undefined;
      },
      { description: 'the channel failing', timeoutMs: 30_000 },
    );
    expect(failing.lastError).toMatch(
      /^delivery dlv_[a-z0-9-]+ \(3 attempts so far, retrying\): webhook post: 500/,
    );
    expect(failing.queuedDeliveries).toBe(1);
    expect((await harness.api('GET', '/health')).status).toBe(200);
    const delivered = await waitFor(
      async () => {
        const { deliveries } = (await harness.api('GET', `/api/channels/${channel.id}/deliveries`)).json as {
          deliveries: Array<{ dedupeKey: string; status: string; attempts: number }>;
        };
        const found = deliveries.find((delivery) => delivery.dedupeKey === `answer:${tasks[0]!.id}`);
        return found?.status === 'sent' ? found : undefined;
      },
      { description: 'the answer delivered', timeoutMs: 30_000 },
    );
    expect(delivered).toMatchObject({
      status: 'sent',
      attempts: 4,
    });
    // The platform answers again: the error is over.
    expect((await harness.api('GET', `/api/channels/${channel.id}`)).json).toMatchObject({
      status: 'ok',
      lastError: null,
    });
    // Sent once: the same event id (delivery id and part) on every attempt, accepted once.
    const attempts = receiver.requests.filter((request) => request.body.includes('The task was stopped'));
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((request) => request.headers[EVENT_ID_HEADER]))).toHaveProperty('size', 1);
  });

  it('refuses bad channel input with the field named, and never stores a channel without its secret', async () => {
    const missing = await harness.api('POST', '/api/channels', { kind: 'webhook', name: 'no secret' });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toBe('secrets.signingSecret: a webhook channel needs it');
    const badUrl = await harness.api('POST', '/api/channels', {
      kind: 'webhook',
      name: 'bad url',
      config: { url: 'ftp://x' },
      secrets: { signingSecret: SECRET },
    });
    expect(badUrl.json.error.message).toMatch(/^config.url/);
    const listed = (await harness.api('GET', '/api/channels')).json.channels as ChannelView[];
    expect(listed.map((listedChannel) => listedChannel.name)).toEqual(['helpdesk']);
  });
});
