// Environments on the gateway: secret encryption, REST routes, config pull, daemon reports, and
// where a task in an environment runs.
import type { Hono } from 'hono';
import type { OpenViberHome } from '../../core/home.ts';
import type { Logger } from '../../core/logger.ts';
import type { CreateTaskBody, DaemonMessage } from '../../protocol/index.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { GatewayStore } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';
import { BindingService } from './binding-service.ts';
import type { CommandSender } from './environment-commands.ts';
import { environmentRoutes, viberConfigRoute } from './environment-routes.ts';
import { EnvironmentService } from './environment-service.ts';
import { loadMasterKey } from './master-key.ts';
import { SecretBox } from './secret-box.ts';

export { MASTER_KEY_ENV, masterKeyPath } from './master-key.ts';

type EnvironmentReport = Extract<DaemonMessage, { type: 'environment:status' | 'environment:log' }>;

export interface Environments {
  /** Seals and opens secrets; also seals stored responses that hold one (idempotency). */
  box: SecretBox;
  /** Mount at /api/environments, behind the operator auth. */
  routes: Hono<GatewayEnv>;
  /** `GET /api/vibers/:id/config`: a node device reads its own configuration. */
  configRoute: Hono<GatewayEnv>;
  /** Handles a viber's `environment:status` and `environment:log`. */
  handleDaemonMessage(connection: ViberConnection, message: EnvironmentReport): Promise<void>;
  /** Where a task in an environment runs (the task routes' TaskPlacement). */
  placement: {
    place(body: CreateTaskBody): Promise<CreateTaskBody>;
    environmentId(idOrName: string): Promise<string>;
  };
}

export interface EnvironmentsDeps {
  store: GatewayStore;
  connections: ConnectionRegistry;
  /** A command was queued for a viber not connected here (another gateway may hold it). */
  outboxFilled?: (viberId: string) => void;
  log: Logger;
}

/**
 * Environments on the gateway's store, and the master key their secrets are sealed with. A
 * missing or wrong key is logged and reported by every API that touches secrets; the gateway
 * still starts.
 */
export async function openEnvironments(deps: EnvironmentsDeps, home: OpenViberHome): Promise<Environments> {
  const { store, connections } = deps;
  const log = deps.log.child({ component: 'environments' });
  const master = loadMasterKey(home, process.env, await store.countSecrets());
  const box = new SecretBox(master);
  if (master.status === 'ok') {
    log.info({ keyId: master.keyId, source: master.source }, 'master key loaded');
    await reportForeignSecrets(store, master.keyId, log);
  } else {
    log.error({ path: master.path }, master.message);
  }
  const send: CommandSender = (commands) => {
    for (const command of commands) {
      const connection = connections.get(command.viberId);
      if (connection?.ready) connection.send(command.message);
      // Its socket may be on another gateway: that one sends it from the shared outbox.
      else if (!connection) deps.outboxFilled?.(command.viberId);
    }
  };
  const service = new EnvironmentService({ store, box, send, log });
  const bindings = new BindingService({
    store,
    environments: service,
    box,
    send,
    isOnline: (viberId) => connections.isOnline(viberId),
    log,
  });
  return {
    box,
    routes: environmentRoutes(service, bindings),
    configRoute: viberConfigRoute(store, box),
    handleDaemonMessage: (connection, message) =>
      message.type === 'environment:status'
        ? bindings.handleStatus(connection, message)
        : bindings.handleLog(connection, message),
    placement: {
      place: (body) => bindings.resolveTask(body),
      environmentId: async (idOrName) => (await service.require(idOrName)).environment.id,
    },
  };
}

async function reportForeignSecrets(store: GatewayStore, keyId: string, log: Logger): Promise<void> {
  const all = await store.listEnvironments();
  const foreign = all.flatMap((full) => full.secrets.filter((secret) => secret.kmsKeyId !== keyId));
  if (foreign.length > 0) {
    log.error(
      { count: foreign.length, keyIds: [...new Set(foreign.map((secret) => secret.kmsKeyId))] },
      `${foreign.length} environment secrets were encrypted with another master key and cannot be decrypted; restore that key or set them again`,
    );
  }
}
