import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ChannelRecord, ChannelsStore, DeliveryRecord, TasksStore } from '../store/index.ts';
import type { ChannelContext, OutboundMessage, ReplyTarget } from './channel-adapter.ts';
import { adapterFor } from './channel-adapters.ts';
import { MAX_DELIVERY_ATTEMPTS, nextAttemptDelay, TELL_OPERATOR_AFTER } from './channel-backoff.ts';
import { SECRETS_DO_NOT_OPEN } from './channel-secrets.ts';
import { ChannelSendError } from './channel-send-error.ts';
import { splitText } from './split-text.ts';
import { type ScreenshotRef, screenshotFile } from './task-screenshots.ts';

const BATCH = 10;
/** A claim lasts this long; a gateway that dies mid-send frees its rows for another after it. */
const LEASE_MS = 60_000;

export interface DeliveryWorkerDeps {
  store: ChannelsStore & Pick<TasksStore, 'getTask' | 'readTaskLog'>;
  /** The channel with its secrets opened, or why it cannot send. */
  contextOf(channel: ChannelRecord): ChannelContext | string;
  /** This gateway among several: the holder of the rows it claims. */
  holder: string;
  /** How often the queue is looked at when nothing here woke it (another gateway queued). */
  pollMs: number;
  log: Logger;
}

/**
 * The outbound side of every channel: a durable queue in the store, drained by every gateway,
 * each row claimed by one at a time. A text over the platform's limit goes in parts, and the parts
 * already sent are noted, so a retry goes on where it stopped. A retryable failure (429, 5xx, the
 * platform unreachable) is tried again with backoff; a permanent one, or the last attempt, fails
 * the row and the channel shows the error. Nothing is dropped while a gateway is down: the rows wait.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #stopped = false;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Queues a message for a chat; false when its dedupe key was queued before (by any gateway). */
  async enqueue(
    channelId: string,
    dedupeKey: string,
    target: ReplyTarget,
    message: OutboundMessage | ScreenshotRef,
  ): Promise<boolean> {
    const queued = await this.#deps.store.enqueueDelivery({
      id: newId('delivery'),
      channelId,
      dedupeKey,
      target,
      message: message as unknown as Record<string, unknown>,
      createdAt: new Date().toISOString(),
    });
    if (queued) this.wake();
    return queued;
  }

  /** Drains the queue now (a delivery was just queued here). */
  wake(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#drain(), ms);
    this.#timer.unref?.();
  }

  async #drain(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    try {
      do {
        this.#again = false;
        for (;;) {
          const now = new Date();
          const rows = await this.#deps.store.claimDeliveries(
            this.#deps.holder,
            now.toISOString(),
            new Date(now.getTime() + LEASE_MS).toISOString(),
            BATCH,
          );
          for (const row of rows) {
            if (this.#stopped) return;
            await this.#deliver(row);
          }
          if (rows.length < BATCH) break;
        }
      } while (this.#again && !this.#stopped);
    } catch (error) {
      this.#deps.log.error({ err: error }, 'the delivery queue could not be read; trying again');
    } finally {
      this.#running = false;
      this.#schedule(this.#deps.pollMs);
    }
  }

  async #deliver(row: DeliveryRecord): Promise<void> {
    const { store, holder, log } = this.#deps;
    const fields = { deliveryId: row.id, channelId: row.channelId, dedupeKey: row.dedupeKey };
    try {
      const channel = await store.getChannel(row.channelId);
      if (!channel) throw new ChannelSendError('the channel was removed', { retryable: false });
      const context = this.#deps.contextOf(channel);
      // A secret that does not open (another master key): no retry changes that. Failed at once,
      // with what to do on the channel (channel-secrets.ts), instead of retried forever.
      if (typeof context === 'string') throw new ChannelSendError(context, { retryable: false });
      const adapter = adapterFor(context.kind);
      if (!adapter) throw new ChannelSendError(`no adapter for ${context.kind}`, { retryable: false });
      const stored = row.message as unknown as OutboundMessage | ScreenshotRef;
      // A task's screenshot is queued by reference and read from the task's log when sent.
      const message = stored.kind === 'screenshot' ? await screenshotFile(store, stored) : stored;
      const parts: OutboundMessage[] =
        message.kind === 'file'
          ? [message]
          : splitText(message.text, adapter.maxTextLength).map((text) => ({ ...message, text }));
      // An approval prompt that had to be split carries its buttons on the last part only.
      for (let index = row.partsSent; index < parts.length; index++) {
        const part = parts[index]!;
        const plain =
          part.kind === 'approval' && index < parts.length - 1
            ? { kind: 'text' as const, text: part.text }
            : part;
        await adapter.send(context, row.target, plain, `${row.id}:${index}`);
        if (index < parts.length - 1) await store.markDeliveryProgress(row.id, holder, index + 1);
      }
      await store.completeDelivery(row.id, holder, new Date().toISOString());
      // The platform answers again: the error the channel showed is over.
      if (channel.lastError) await store.updateChannel(channel.id, { lastError: null, lastErrorAt: null });
      log.info({ ...fields, parts: parts.length, attempt: row.attempts + 1 }, 'channel message delivered');
    } catch (error) {
      await this.#failed(row, error);
    }
  }

  async #failed(row: DeliveryRecord, error: unknown): Promise<void> {
    const { store, holder, log } = this.#deps;
    const sendError =
      error instanceof ChannelSendError
        ? error
        : new ChannelSendError(`internal: ${(error as Error).message}`, { retryable: true });
    const attempts = row.attempts + 1;
    const last = !sendError.retryable || attempts >= MAX_DELIVERY_ATTEMPTS;
    const nextAttemptAt = last
      ? null
      : new Date(Date.now() + nextAttemptDelay(attempts, sendError.retryAfterMs)).toISOString();
    await store.failDelivery(row.id, holder, { error: sendError.message, nextAttemptAt });
    const fields = {
      deliveryId: row.id,
      channelId: row.channelId,
      attempts,
      nextAttemptAt,
      error: sendError.message,
    };
    if (last) log.warn(fields, 'channel message not delivered: given up');
    else log.info(fields, 'channel message not delivered yet: will retry');
    if (sendError.message === SECRETS_DO_NOT_OPEN) {
      // The channel's error says what to do, not which delivery met it.
      await store.updateChannel(row.channelId, {
        lastError: SECRETS_DO_NOT_OPEN,
        lastErrorAt: new Date().toISOString(),
      });
    } else if (last || attempts >= TELL_OPERATOR_AFTER) {
      const what = last ? 'given up' : `${attempts} attempts so far, retrying`;
      const at = new Date().toISOString();
      await store.updateChannel(row.channelId, {
        lastError: `delivery ${row.id} (${what}): ${sendError.message}`,
        lastErrorAt: at,
      });
    }
  }
}
