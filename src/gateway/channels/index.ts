// Chat channels on the gateway (docs/channels.md): the adapters of each platform, the service
// that manages them, inbound events, answers of followed tasks, the delivery queue and pollers.
import type { Hono } from 'hono';
import type { Logger } from '../../core/logger.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { SecretBox } from '../environments/secret-box.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { ChannelRecord, GatewayStore } from '../store/index.ts';
import type { TaskRouter } from '../tasks/task-router.ts';
import type { TaskPlacement } from '../tasks/task-routes.ts';
import type { ChannelContext, InboundEvent, ReceiveResult } from './channel-adapter.ts';
import { adapterFor } from './channel-adapters.ts';
import { ChannelInbound } from './channel-inbound.ts';
import { InboundQueue } from './channel-inbound-queue.ts';
import { ChannelPollers } from './channel-pollers.ts';
import { channelRoutes, channelWebhookRoute } from './channel-routes.ts';
import { ChannelSecrets } from './channel-secrets.ts';
import { ChannelService } from './channel-service.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { TaskAnswers } from './task-answers.ts';

export type { ChannelAdapter } from './channel-adapter.ts';

/** Inbound event ids are kept this long for the dedupe (a platform's redelivery comes sooner). */
const INBOUND_KEEP_MS = 7 * 24 * 60 * 60_000;

export interface ChannelsDeps {
  store: GatewayStore;
  bus: TopicBus;
  router: TaskRouter;
  placement: TaskPlacement;
  box: SecretBox;
  /** This gateway among several: holder of leases (deliveries, pollers, conversations). */
  gatewayId: string;
  /**
   * The gateway's URL as platforms and people reach it: the webhook URLs and the task links in
   * answers (`<url>/tasks/<id>`). From `--public-url` / OPENVIBER_PUBLIC_URL, else the listening URL.
   */
  publicUrl: () => string;
  /** How often each gateway looks at the delivery queue besides when it queues itself; default 1 s. */
  deliveryPollMs?: number;
  fetch?: typeof fetch;
  log: Logger;
}

export interface Channels {
  /** The /api/channels routes (operator auth). */
  routes: Hono<GatewayEnv>;
  /** `POST /channels/:id/webhook` (public; the adapter verifies the platform). */
  webhook: Hono<GatewayEnv>;
  service: ChannelService;
  /** Sends a task's answer to a chat (scheduled jobs deliver their runs' results with it). */
  followTask(
    taskId: string,
    where: { channelId: string; conversationKey: string; target?: Record<string, unknown> },
  ): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export function openChannels(deps: ChannelsDeps): Channels {
  const log = deps.log.child({ component: 'channels' });
  // What the Channels page shows, the store tells in its change feed (`channel.changed`).
  const { store, gatewayId: holder } = deps;
  const fetchImpl = deps.fetch ?? fetch;
  const service = new ChannelService({
    store,
    secrets: new ChannelSecrets(deps.box),
    publicUrl: deps.publicUrl,
    fetch: fetchImpl,
    log,
  });
  const taskLink = (taskId: string) => `${deps.publicUrl().replace(/\/+$/, '')}/tasks/${taskId}`;
  const contextOf = (channel: ChannelRecord) => service.contextOf(channel);
  const deliveries = new DeliveryWorker({
    store,
    holder,
    contextOf,
    pollMs: deps.deliveryPollMs ?? 1_000,
    log,
  });
  const inbound = new ChannelInbound({
    store,
    router: deps.router,
    placement: deps.placement,
    deliveries,
    holder,
    taskLink,
    log,
  });
  const answers = new TaskAnswers({
    store,
    bus: deps.bus,
    router: deps.router,
    deliveries,
    holder,
    taskLink,
    log,
  });

  const queue = new InboundQueue({
    store,
    holder,
    contextOf,
    act: (channel, context, event) => inbound.handle(channel, context, event),
    hold: process.env.OPENVIBER_TEST_HOLD_CHANNEL_INBOUND === '1',
    log,
  });
  /** Polled events: each recorded (false: heard before), then acted on from the store. */
  const handle = async (channel: ChannelRecord, _context: ChannelContext, event: InboundEvent) => {
    const fresh = await queue.record(channel, event);
    if (fresh) queue.actOn(channel.id, event);
    return fresh;
  };
  const pollers = new ChannelPollers({ store, holder, contextOf, handle, log });

  /**
   * A webhook request: verified by the adapter, each event recorded with its dedupe row, and the
   * platform answered; the events are acted on after the answer (channel-inbound-queue.ts).
   */
  const receive = async (
    channelId: string,
    headers: Headers,
    rawBody: string,
  ): Promise<ReceiveResult['response']> => {
    const refuse = (status: number, code: string, message: string) => ({
      status,
      body: { ok: false, error: { code, message } },
    });
    const channel = await store.getChannel(channelId);
    const adapter = channel ? adapterFor(channel.kind) : undefined;
    if (!channel || !adapter) return refuse(404, 'not_found', `channel ${channelId} not found`);
    if (!channel.enabled) return refuse(409, 'conflict', `channel ${channelId} is disabled`);
    const context = service.contextOf(channel);
    if (typeof context === 'string') return refuse(503, 'internal', 'the channel cannot open its secrets');
    const result = await adapter.receive(context, { headers, rawBody });
    if (result.response.status >= 400) {
      log.warn(
        { channelId, status: result.response.status, why: result.response.body.error },
        'channel webhook refused',
      );
      return result.response;
    }
    let response = result.response;
    const recorded: InboundEvent[] = [];
    for (const event of result.events) {
      if (adapter.refusedSenderResponse) {
        // A platform that shows the answer to the request (Discord) tells a blocked sender at once.
        const sender = await store.getSender(channel.id, event.senderId);
        if (sender?.status === 'blocked') {
          await store.recordInbound(channel.id, event.eventId, new Date().toISOString());
          log.info({ channelId, senderId: event.senderId }, 'request from a blocked sender refused');
          response = adapter.refusedSenderResponse(event);
          continue;
        }
      }
      const fresh = await queue.record(channel, event);
      if (fresh) recorded.push(event);
      else if (adapter.refusesReplays) {
        log.warn({ channelId, eventId: event.eventId }, 'channel webhook replay refused');
        return refuse(409, 'conflict', `event ${event.eventId} was received before (a replay): ignored`);
      }
    }
    // After the answer has gone: recorded, the events are safe whatever happens to this gateway.
    setImmediate(() => {
      for (const event of recorded) queue.actOn(channel.id, event);
    });
    return response;
  };

  let purge: NodeJS.Timeout | undefined;
  return {
    routes: channelRoutes(service),
    webhook: channelWebhookRoute(receive),
    service,
    followTask: (taskId, where) => answers.followTask(taskId, where),
    start() {
      queue.start();
      deliveries.start();
      answers.start();
      pollers.start();
      const purgeOld = () =>
        store.purgeInbound(new Date(Date.now() - INBOUND_KEEP_MS).toISOString()).catch(() => 0);
      void purgeOld();
      purge = setInterval(purgeOld, 60 * 60_000);
      purge.unref?.();
    },
    async close() {
      clearInterval(purge);
      queue.stop();
      answers.stop();
      deliveries.stop();
      await pollers.stop();
    },
  };
}
