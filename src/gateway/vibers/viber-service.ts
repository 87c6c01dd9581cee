import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ViberPresence, ViberView } from '../../protocol/index.ts';
import type { DeviceService } from '../auth/devices.ts';
import type { Page, TasksStore, ViberPageKey, ViberQuery, VibersStore } from '../store/index.ts';
import type { ConnectionRegistry } from './connection-registry.ts';
import { toViberView } from './viber-views.ts';

export interface RegisteredViber {
  id: string;
  name: string;
  /** Shown once; the store keeps only its hash. */
  token: string;
}

/** What `page` takes: a limit, the key to continue after, and the list's filters. */
export interface ViberPageQuery {
  limit: number;
  after?: ViberPageKey;
  presence?: ViberPresence;
  /** A piece of the name, ASCII case ignored. */
  q?: string;
}

export interface ViberServiceDeps {
  store: VibersStore & Pick<TasksStore, 'countRunningTasksByViber'>;
  devices: Pick<DeviceService, 'issueViberToken' | 'revokeViberDevices'>;
  connections: ConnectionRegistry;
  log: Logger;
}

/** Register, list, show, revoke vibers, and ask one to pull its config. */
export class ViberService {
  readonly #deps: ViberServiceDeps;

  constructor(deps: ViberServiceDeps) {
    this.#deps = deps;
  }

  async register(name: string): Promise<RegisteredViber> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) {
      throw new OpenViberError('validation_failed', 'name: must be 1 to 200 characters', 400);
    }
    const id = newId('viber');
    await this.#deps.store.insertViber({ id, name: trimmed, createdAt: new Date().toISOString() });
    // A viber registered by hand is a keyless node device; its key is bound on its first handshake.
    const token = await this.#deps.devices.issueViberToken(id, trimmed);
    this.#deps.log.info({ viberId: id, name: trimmed }, 'viber registered');
    return { id, name: trimmed, token };
  }

  /** Revokes a viber's token; Presence cuts its live connection when the change feed tells it. */
  async revoke(viberId: string): Promise<{ id: string; revokedAt: string }> {
    const revokedAt = new Date().toISOString();
    if (!(await this.#deps.store.revokeViber(viberId, revokedAt))) {
      const exists = await this.#deps.store.getViber(viberId);
      throw exists
        ? new OpenViberError('conflict', `viber ${viberId} is already revoked`, 409)
        : new OpenViberError('not_found', `viber ${viberId} not found`, 404);
    }
    await this.#deps.devices.revokeViberDevices(viberId);
    this.#deps.log.info({ viberId }, 'viber revoked');
    return { id: viberId, revokedAt };
  }

  /**
   * A page of vibers by name. Presence lives in this process (the connections), not in the
   * store: a presence filter becomes the connected vibers' ids, to keep or to leave out.
   */
  async page(query: ViberPageQuery): Promise<Page<ViberView, ViberPageKey>> {
    const running = await this.#deps.store.countRunningTasksByViber();
    const busy = (viberId: string) => (running.get(viberId) ?? 0) > 0;
    const connected = () => [...this.#deps.connections.all()].map((connection) => connection.viberId);
    const byPresence: Pick<ViberQuery, 'onlyIds' | 'exceptIds'> =
      query.presence === 'offline'
        ? { exceptIds: connected() }
        : query.presence === 'busy'
          ? { onlyIds: connected().filter(busy) }
          : query.presence === 'online'
            ? { onlyIds: connected().filter((viberId) => !busy(viberId)) }
            : {};
    const page = await this.#deps.store.viberPage({
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
      ...(query.q !== undefined ? { nameContains: query.q } : {}),
      ...byPresence,
    });
    return {
      items: page.items.map((viber) => toViberView(viber, this.#presenceOf(viber.id, running))),
      next: page.next,
    };
  }

  async view(viberId: string): Promise<ViberView> {
    const viber = await this.#deps.store.getViber(viberId);
    if (!viber || viber.revokedAt) throw new OpenViberError('not_found', `viber ${viberId} not found`, 404);
    const running = await this.#deps.store.countRunningTasksByViber();
    return toViberView(viber, this.#presenceOf(viber.id, running));
  }

  /** Asks a connected daemon to pull and validate its config; its `config:ack` becomes configState. */
  async pushConfig(viberId: string): Promise<{ viberId: string; requestedAt: string }> {
    await this.view(viberId);
    const connection = this.#deps.connections.get(viberId);
    if (!connection?.send({ type: 'config:push' })) {
      throw new OpenViberError('viber_offline', `viber ${viberId} is not connected`, 409);
    }
    return { viberId, requestedAt: new Date().toISOString() };
  }

  #presenceOf(viberId: string, running: Map<string, number>): ViberPresence {
    if (!this.#deps.connections.isOnline(viberId)) return 'offline';
    return (running.get(viberId) ?? 0) > 0 ? 'busy' : 'online';
  }
}
