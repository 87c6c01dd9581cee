import type { Environments } from '../environments/index.ts';
import type { GatewayCore } from '../gateway-context.ts';
import type { BodyVariables } from '../http/read-body.ts';
import type { TaskRouter } from '../task-router.ts';
import type { StreamSessions } from './task-stream.ts';

/** What the route modules need from the running gateway. */
export interface RouteDeps {
  core: GatewayCore;
  router: TaskRouter;
  streams: StreamSessions;
  /** Environments (store, routes, task placement); absent in gateways built without them. */
  environments?: Environments;
}

export type GatewayEnv = { Variables: BodyVariables };
