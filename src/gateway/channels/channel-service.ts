import { createHash } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  ChannelDeliveryView,
  ChannelSenderDecisionBody,
  ChannelSenderStatus,
  ChannelSenderView,
  ChannelTestResponse,
  ChannelView,
  CreateChannelBody,
  UpdateChannelBody,
} from '../../protocol/index.ts';
import type { ChannelRecord, ChannelSenderRecord, GatewayStore } from '../store/index.ts';
import type { ChannelAdapter, ChannelContext } from './channel-adapter.ts';
import { adapterFor } from './channel-adapters.ts';
import { type ChannelSecrets, SECRETS_DO_NOT_OPEN } from './channel-secrets.ts';

export interface ChannelServiceDeps {
  store: GatewayStore;
  secrets: ChannelSecrets;
  /** Where the platforms reach this gateway (the webhook URL shown and registered). */
  publicUrl: () => string;
  fetch: typeof fetch;
  log: Logger;
}

/** Hash of a pairing code as stored: upper case, dashes and spaces ignored. */
export function pairingCodeHash(code: string): string {
  return createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, '')).digest('hex');
}

const notFound = (id: string) => new OpenViberError('not_found', `channel ${id} not found`, 404);
const invalid = (message: string) => new OpenViberError('validation_failed', message, 400);

/**
 * Managing channels (docs/channels.md): create, change, remove, test; the senders and their
 * pairing; the deliveries. Views never carry a secret: only which ones are set.
 */
export class ChannelService {
  readonly #deps: ChannelServiceDeps;

  constructor(deps: ChannelServiceDeps) {
    this.#deps = deps;
  }

  webhookUrl(channelId: string): string {
    return `${this.#deps.publicUrl().replace(/\/+$/, '')}/channels/${channelId}/webhook`;
  }

  /**
   * The channel with its secrets opened for one call, or why it cannot be used: a secret that does
   * not open means another master key (SECRETS_DO_NOT_OPEN, shown on the channel as its error).
   */
  contextOf(channel: ChannelRecord): ChannelContext | string {
    const { secrets: channelSecrets } = this.#deps;
    const { secrets, problems } = channelSecrets.open(channel);
    if (problems.length > 0) {
      this.#deps.log.warn({ channelId: channel.id, problems }, 'channel secrets do not open');
      if (channel.lastError !== SECRETS_DO_NOT_OPEN) {
        void this.#deps.store
          .updateChannel(channel.id, {
            lastError: SECRETS_DO_NOT_OPEN,
            lastErrorAt: new Date().toISOString(),
          })
          .catch(() => {});
      }
      return SECRETS_DO_NOT_OPEN;
    }
    return {
      id: channel.id,
      kind: channel.kind,
      config: channel.config,
      secrets,
      fetch: this.#deps.fetch,
      seal: (name, value) => channelSecrets.sealValue(channel.id, name, value),
      open: (name, sealed) => channelSecrets.openValue(channel.id, name, sealed),
    };
  }

  async list(): Promise<ChannelView[]> {
    const { store } = this.#deps;
    const [channels, deliveries, pending] = await Promise.all([
      store.listChannels(),
      store.countDeliveries(),
      store.countPendingSenders(),
    ]);
    return channels.map((channel) =>
      this.#view(channel, deliveries.get(channel.id), pending.get(channel.id)),
    );
  }

  async get(id: string): Promise<ChannelView> {
    const channel = await this.require(id);
    const [deliveries, pending] = await Promise.all([
      this.#deps.store.countDeliveries(),
      this.#deps.store.countPendingSenders(),
    ]);
    return this.#view(channel, deliveries.get(id), pending.get(id));
  }

  async require(id: string): Promise<ChannelRecord> {
    const channel = await this.#deps.store.getChannel(id);
    if (!channel) throw notFound(id);
    return channel;
  }

  async create(body: CreateChannelBody): Promise<ChannelView> {
    const adapter = this.#adapter(body.kind);
    const secrets = body.secrets ?? {};
    const config = body.config ?? {};
    this.#check(adapter, config, Object.keys(secrets), body.viberId, body.environmentId);
    await this.#checkTarget(body.viberId ?? null, body.environmentId ?? null);
    const id = newId('channel');
    const at = new Date().toISOString();
    const sealedSecrets = Object.fromEntries(
      Object.entries(secrets).map(([name, value]) => [name, this.#deps.secrets.seal(id, name, value)]),
    );
    const channel: ChannelRecord = {
      id,
      kind: body.kind,
      name: body.name,
      config,
      sealedSecrets,
      viberId: body.viberId ?? null,
      environmentId: body.environmentId ?? null,
      mode: body.mode ?? null,
      enabled: true,
      lastError: null,
      lastErrorAt: null,
      createdAt: at,
      updatedAt: at,
    };
    await this.#deps.store.insertChannel(channel);
    this.#deps.log.info({ channelId: id, kind: body.kind, secrets: Object.keys(secrets) }, 'channel created');
    await this.#register(channel);
    return this.get(id);
  }

  async update(id: string, body: UpdateChannelBody): Promise<ChannelView> {
    const current = await this.require(id);
    const adapter = this.#adapter(current.kind);
    const sealedSecrets = { ...current.sealedSecrets };
    for (const [name, value] of Object.entries(body.secrets ?? {})) {
      if (value === null) delete sealedSecrets[name];
      else sealedSecrets[name] = this.#deps.secrets.seal(id, name, value);
    }
    const next: ChannelRecord = {
      ...current,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.config !== undefined ? { config: body.config } : {}),
      ...(body.viberId !== undefined ? { viberId: body.viberId } : {}),
      ...(body.environmentId !== undefined ? { environmentId: body.environmentId } : {}),
      ...(body.mode !== undefined ? { mode: body.mode } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      sealedSecrets,
      updatedAt: new Date().toISOString(),
    };
    this.#check(
      adapter,
      next.config,
      Object.keys(sealedSecrets),
      next.viberId ?? undefined,
      next.environmentId ?? undefined,
    );
    if (body.viberId !== undefined || body.environmentId !== undefined)
      await this.#checkTarget(next.viberId, next.environmentId);
    const { id: _id, createdAt: _createdAt, kind: _kind, ...patch } = next;
    const saved = await this.#deps.store.updateChannel(id, patch);
    if (!saved) throw notFound(id);
    this.#deps.log.info(
      { channelId: id, secretsChanged: Object.keys(body.secrets ?? {}) },
      'channel updated',
    );
    if (body.config !== undefined || body.secrets !== undefined) await this.#register(saved);
    return this.get(id);
  }

  async remove(id: string): Promise<{ id: string; deleted: true }> {
    if (!(await this.#deps.store.deleteChannel(id))) throw notFound(id);
    this.#deps.log.info({ channelId: id }, 'channel removed');
    return { id, deleted: true };
  }

  async test(id: string): Promise<ChannelTestResponse> {
    const channel = await this.require(id);
    const context = this.contextOf(channel);
    if (typeof context === 'string') return { ok: false, detail: context };
    try {
      return { ok: true, detail: await this.#adapter(channel.kind).test(context) };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }

  async senders(channelId: string, status?: ChannelSenderStatus): Promise<ChannelSenderView[]> {
    await this.require(channelId);
    const senders = await this.#deps.store.listSenders(channelId);
    return senders.filter((sender) => !status || sender.status === status).map(senderView);
  }

  /** Allows or blocks a sender named by its pairing code, or by channel and sender id. */
  async decide(body: ChannelSenderDecisionBody, status: 'allowed' | 'blocked'): Promise<ChannelSenderView> {
    const { store } = this.#deps;
    let sender: ChannelSenderRecord | null;
    if ('code' in body) {
      sender = await store.findSenderByCodeHash(pairingCodeHash(body.code));
      if (!sender) throw new OpenViberError('not_found', 'no sender is waiting with that pairing code', 404);
    } else {
      await this.require(body.channelId);
      sender = await store.getSender(body.channelId, body.senderId);
      if (!sender)
        throw new OpenViberError(
          'not_found',
          `sender ${body.senderId} never wrote to channel ${body.channelId}`,
          404,
        );
    }
    const updated = await store.updateSender(sender.channelId, sender.senderId, {
      status,
      codeHash: null,
      updatedAt: new Date().toISOString(),
    });
    this.#deps.log.info(
      { channelId: sender.channelId, senderId: sender.senderId, status },
      'channel sender decided',
    );
    return senderView(updated ?? sender);
  }

  async deliveries(channelId: string, limit = 50): Promise<ChannelDeliveryView[]> {
    await this.require(channelId);
    const rows = await this.#deps.store.listDeliveries(channelId, limit);
    return rows.map((row) => ({
      id: row.id,
      channelId: row.channelId,
      dedupeKey: row.dedupeKey,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === 'queued' ? row.nextAttemptAt : null,
      lastError: row.lastError,
      createdAt: row.createdAt,
      sentAt: row.sentAt,
    }));
  }

  /** Tells the platform where updates go (Telegram setWebhook or deleteWebhook); a failure shows on the channel. */
  async #register(channel: ChannelRecord): Promise<void> {
    const adapter = this.#adapter(channel.kind);
    const context = this.contextOf(channel);
    if (!adapter.register || typeof context === 'string') return;
    try {
      await adapter.register(context, this.webhookUrl(channel.id));
    } catch (error) {
      const lastError = `registering the webhook: ${(error as Error).message}`;
      await this.#deps.store.updateChannel(channel.id, { lastError, lastErrorAt: new Date().toISOString() });
      this.#deps.log.warn({ channelId: channel.id, error: lastError }, 'channel webhook not registered');
    }
  }

  #adapter(kind: ChannelRecord['kind']): ChannelAdapter {
    const adapter = adapterFor(kind);
    if (!adapter) throw invalid(`kind: ${kind} channels are not supported by this gateway yet`);
    return adapter;
  }

  #check(
    adapter: ChannelAdapter,
    config: ChannelRecord['config'],
    secretNames: string[],
    viberId: string | undefined,
    environmentId: string | undefined,
  ): void {
    for (const name of adapter.requiredSecrets) {
      if (!secretNames.includes(name)) throw invalid(`secrets.${name}: a ${adapter.kind} channel needs it`);
    }
    const problem = adapter.checkConfig(config, secretNames);
    if (problem) throw invalid(problem);
    if (viberId && environmentId) throw invalid('viberId: give a viber or an environment, not both');
  }

  async #checkTarget(viberId: string | null, environmentId: string | null): Promise<void> {
    if (viberId && !(await this.#deps.store.getViber(viberId)))
      throw invalid(`viberId: viber ${viberId} not found`);
    if (environmentId && !(await this.#deps.store.getEnvironment(environmentId))) {
      throw invalid(`environmentId: environment ${environmentId} not found`);
    }
  }

  #view(
    channel: ChannelRecord,
    deliveries?: { queued: number; failed: number },
    pending?: number,
  ): ChannelView {
    return {
      id: channel.id,
      kind: channel.kind,
      name: channel.name,
      config: channel.config,
      secrets: Object.fromEntries(
        Object.keys(channel.sealedSecrets).map((name) => [name, { set: true as const }]),
      ),
      viberId: channel.viberId,
      environmentId: channel.environmentId,
      mode: channel.mode,
      enabled: channel.enabled,
      webhookUrl: this.webhookUrl(channel.id),
      status: !channel.enabled ? 'disabled' : channel.lastError ? 'failing' : 'ok',
      lastError: channel.lastError,
      lastErrorAt: channel.lastErrorAt,
      queuedDeliveries: deliveries?.queued ?? 0,
      failedDeliveries: deliveries?.failed ?? 0,
      pendingSenders: pending ?? 0,
      createdAt: channel.createdAt,
      updatedAt: channel.updatedAt,
    };
  }
}

function senderView(sender: ChannelSenderRecord): ChannelSenderView {
  return {
    channelId: sender.channelId,
    senderId: sender.senderId,
    displayName: sender.displayName,
    status: sender.status,
    createdAt: sender.createdAt,
    updatedAt: sender.updatedAt,
  };
}
