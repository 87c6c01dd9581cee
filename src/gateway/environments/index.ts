// Environments on the gateway: store, secret encryption, REST routes, config pull, daemon reports.
import type { Hono } from 'hono';
import type { OpenViberHome } from '../../core/home.ts';
import type { DaemonMessage } from '../../protocol/index.ts';
import type { GatewayCore } from '../gateway-context.ts';
import type { GatewayEnv } from '../routes/route-deps.ts';
import type { ViberConnection } from '../ws/viber-connection.ts';
import { BindingService } from './binding-service.ts';
import type { CommandSender } from './environment-commands.ts';
import { environmentRoutes, viberConfigRoute } from './environment-routes.ts';
import { EnvironmentService } from './environment-service.ts';
import type { EnvironmentStore } from './environment-store.ts';
import { loadMasterKey } from './master-key.ts';
import { SecretBox } from './secret-box.ts';
import { SqliteEnvironmentStore } from './sqlite-environment-store.ts';

export { MASTER_KEY_ENV, masterKeyPath } from './master-key.ts';
export type { BindingService, EnvironmentService, EnvironmentStore };

export interface Environments {
  store: EnvironmentStore;
  service: EnvironmentService;
  bindings: BindingService;
  box: SecretBox;
  /** Mount at /api/environments, behind the operator auth. */
  routes: Hono<GatewayEnv>;
  /** Mount at /api/vibers before the operator auth: it takes the viber's own token. */
  configRoute: Hono<GatewayEnv>;
  /** Handles `environment:status` and `environment:log`; false for any other message. */
  handleDaemonMessage(connection: ViberConnection, message: DaemonMessage): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the environment tables on the gateway's database (already migrated by the gateway store)
 * and loads the master key. A missing or wrong key is logged and reported by every API that
 * touches secrets; the gateway still starts.
 */
export async function openEnvironments(
  core: GatewayCore,
  home: OpenViberHome,
  databasePath: string,
  options: {
    env?: NodeJS.ProcessEnv;
    /** Wraps the store, so every change can be announced (board events). */
    observe?: (store: EnvironmentStore) => EnvironmentStore;
  } = {},
): Promise<Environments> {
  const env = options.env ?? process.env;
  const log = core.log.child({ component: 'environments' });
  const sqlite = new SqliteEnvironmentStore(databasePath);
  const store = options.observe ? options.observe(sqlite) : sqlite;
  const master = loadMasterKey(home, env, await store.countSecrets());
  const box = new SecretBox(master);
  if (master.status === 'ok') {
    log.info({ keyId: master.keyId, source: master.source }, 'master key loaded');
    await reportForeignSecrets(store, master.keyId, log);
  } else {
    log.error({ path: master.path }, master.message);
  }
  const send: CommandSender = (commands) => {
    for (const command of commands) {
      const connection = core.connections.get(command.viberId);
      if (connection?.ready) connection.send(command.message);
    }
  };
  const service = new EnvironmentService({ store, box, send, log });
  const bindings = new BindingService({
    store,
    gatewayStore: core.store,
    environments: service,
    box,
    send,
    isOnline: (viberId) => core.connections.isOnline(viberId),
    log,
  });
  return {
    store,
    service,
    bindings,
    box,
    routes: environmentRoutes(service, bindings),
    configRoute: viberConfigRoute(core.auth, store, box),
    async handleDaemonMessage(connection, message) {
      if (message.type === 'environment:status') await bindings.handleStatus(connection, message);
      else if (message.type === 'environment:log') await bindings.handleLog(connection, message);
      else return false;
      return true;
    },
    close: () => store.close(),
  };
}

async function reportForeignSecrets(
  store: EnvironmentStore,
  keyId: string,
  log: GatewayCore['log'],
): Promise<void> {
  const all = await store.listEnvironments();
  const foreign = all.flatMap((full) => full.secrets.filter((secret) => secret.kmsKeyId !== keyId));
  if (foreign.length > 0) {
    log.error(
      { count: foreign.length, keyIds: [...new Set(foreign.map((secret) => secret.kmsKeyId))] },
      `${foreign.length} environment secrets were encrypted with another master key and cannot be decrypted; restore that key or set them again`,
    );
  }
}
