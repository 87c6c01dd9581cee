import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { type LocalHttpServer, startLocalHttpServer } from '../../../test/support/local-http-server.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { ChannelDeliveryView, ChannelView } from '../../protocol/index.ts';
import { masterKeyPath } from '../environments/master-key.ts';
import { SECRETS_DO_NOT_OPEN } from './channel-secrets.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './channel-signature.ts';

// Issue 18, channels: a gateway started with another master key cannot open a channel's secrets.
// Its deliveries fail at once, for good, and the channel says what to do, instead of being retried
// forever (docs/channels.md, "Secrets").

const SECRET = 'webhook-signing-secret-master-key';
let harness: TestGateway;
let receiver: LocalHttpServer;
let channel: ChannelView;

beforeAll(async () => {
  // The far side is down: the pairing code's delivery waits in the queue, retried.
  receiver = await startLocalHttpServer((_request, response) => {
    response.writeHead(500, { 'content-type': 'application/json' }).end('{}');
  });
  harness = await TestGateway.start();
  const viber = await harness.gateway.registerViber('master-key-target');
  channel = (
    await harness.api('POST', '/api/channels', {
      kind: 'webhook',
      name: 'helpdesk',
      config: { url: `${receiver.url}/answers` },
      secrets: { signingSecret: SECRET },
      viberId: viber.id,
    })
  ).json;
});

afterAll(async () => {
  await harness?.cleanup();
  await receiver?.close();
});

const deliveries = async () =>
  (await harness.api('GET', `/api/channels/${channel.id}/deliveries`)).json
    .deliveries as ChannelDeliveryView[];

describe('a channel whose secrets do not open with the master key', () => {
  it('fails its deliveries at once and says to set OPENVIBER_MASTER_KEY', async () => {
    const body = JSON.stringify({
      type: 'message',
      sender: { id: 'p1', name: 'P' },
      conversation: 'c1',
      text: 'hi',
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const posted = await fetch(`${harness.gateway.url}/channels/${channel.id}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signBody(SECRET, timestamp, body),
        [EVENT_ID_HEADER]: 'evt-master-key-1',
      },
      body,
    });
    expect(posted.status).toBe(200);
    await waitFor(
      async () => (await deliveries()).some((row) => row.attempts >= 1 && row.status === 'queued'),
      {
        description: 'the code delivery retried',
      },
    );

    // The same gateway, started with another master key.
    await harness.gateway.close();
    writeFileSync(masterKeyPath(harness.home), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    await harness.restart();

    const failed = await waitFor(async () => (await deliveries()).find((row) => row.status === 'failed'), {
      description: 'the delivery failed for good',
    });
    expect(failed.lastError).toBe(SECRETS_DO_NOT_OPEN);
    const view = (await harness.api('GET', `/api/channels/${channel.id}`)).json as ChannelView;
    expect(view).toMatchObject({ status: 'failing', lastError: SECRETS_DO_NOT_OPEN, queuedDeliveries: 0 });
    expect(SECRETS_DO_NOT_OPEN).toBe(
      "the channel's secrets cannot be opened with this gateway's master key: set OPENVIBER_MASTER_KEY to the key the channel was created with",
    );
    expect((await harness.api('POST', `/api/channels/${channel.id}/test`)).json).toEqual({
      ok: false,
      detail: SECRETS_DO_NOT_OPEN,
    });
    // The platform is refused without advice to strangers; the gateway keeps serving.
    const refused = await fetch(`${harness.gateway.url}/channels/${channel.id}/webhook`, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect((await harness.api('GET', '/api/channels')).status).toBe(200);
  });
});
