import type { Logger } from '../core/logger.ts';
import type { GatewayAuth } from './auth/gateway-auth.ts';
import type { TaskBus } from './bus/task-bus.ts';
import type { GatewayStore } from './store/gateway-store.ts';
import type { ConnectionRegistry } from './ws/connection-registry.ts';

export interface GatewayTimings {
  heartbeatIntervalMs: number;
  taskGraceMs: number;
}

/** The parts every gateway component shares, built once by startGateway. */
export interface GatewayCore {
  store: GatewayStore;
  bus: TaskBus;
  auth: GatewayAuth;
  connections: ConnectionRegistry;
  timings: GatewayTimings;
  log: Logger;
}
