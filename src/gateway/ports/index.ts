// Ports on the gateway (docs/ports.md): listing a viber's services, minting links to them, and
// relaying their HTTP and WebSocket traffic over the viber's connection, through the gateway
// holding it when that is another one.
import type { Hono } from 'hono';
import type { OpenViberHome } from '../../core/home.ts';
import type { Logger } from '../../core/logger.ts';
import type { Whereabouts } from '../bus/crossing-ledger.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import { loadMasterKey } from '../environments/master-key.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { GatewayStore } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import { PortCrossing } from './port-crossing.ts';
import { PortLinks } from './port-links.ts';
import { portProxyRoutes } from './port-proxy.ts';
import { PortRelay } from './port-relay.ts';
import { portRoutes } from './port-routes.ts';
import { PortUpgrades } from './port-upgrade.ts';

export { isPortMessage, PortRelay } from './port-relay.ts';

/** How long a service has to answer (status line and headers) by default; `OPENVIBER_PORT_TIMEOUT_MS` overrides it. */
export const DEFAULT_PORT_TIMEOUT_MS = 30_000;

export interface Ports {
  relay: PortRelay;
  /** Several gateways: listings and exchanges of vibers another gateway holds go through it (start and stop it). */
  crossing: PortCrossing;
  /** The REST routes (behind /api's auth). */
  routes: Hono<GatewayEnv>;
  /** `/ports/...`: outside /api, checked by the link's token. */
  proxy: Hono<GatewayEnv>;
  upgrades: PortUpgrades;
}

export function openPorts(deps: {
  store: GatewayStore;
  connections: ConnectionRegistry;
  /** Where the other gateways' vibers are, the bus to reach them, this gateway's id and the heartbeat interval. */
  bus: TopicBus;
  locations: Whereabouts;
  gatewayId: string;
  refreshMs: number;
  home: OpenViberHome;
  env?: NodeJS.ProcessEnv;
  log: Logger;
}): Ports {
  const env = deps.env ?? process.env;
  const log = deps.log.child({ component: 'ports' });
  // The environments already made the key if there was none; here it is only read (1: never make one).
  const master = loadMasterKey(deps.home, env, 1);
  const links = master.status === 'ok' ? new PortLinks(master.key) : new PortLinks(undefined, master.message);
  const relay = new PortRelay(deps.connections, log);
  const crossing = new PortCrossing({
    ...{ bus: deps.bus, locations: deps.locations, gatewayId: deps.gatewayId, refreshMs: deps.refreshMs },
    relay,
    log,
  });
  relay.crossGateways(crossing);
  const given = Number(env.OPENVIBER_PORT_TIMEOUT_MS);
  const timeoutMs =
    Number.isInteger(given) && given >= 100 && given <= 600_000 ? given : DEFAULT_PORT_TIMEOUT_MS;
  const proxyDeps = { relay, links, store: deps.store, timeoutMs, log };
  return {
    relay,
    crossing,
    routes: portRoutes({ relay, links, store: deps.store, log }),
    proxy: portProxyRoutes(proxyDeps),
    upgrades: new PortUpgrades(proxyDeps),
  };
}
