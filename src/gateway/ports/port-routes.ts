import type { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import {
  type ListedPort,
  PORT_LINK_DEFAULT_TTL_SECONDS,
  portProxyPath,
  type RestRoutes,
  type RouteResponse,
} from '../../protocol/index.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { GatewayStore } from '../store/index.ts';
import type { PortLinks } from './port-links.ts';
import { type PortRelay, PortRelayError } from './port-relay.ts';

export interface PortRoutesDeps {
  relay: PortRelay;
  links: PortLinks;
  store: Pick<GatewayStore, 'getViber' | 'getTask' | 'getEnvironment' | 'findEnvironmentByName'>;
  log: Logger;
}

/** Listing a viber's (or an environment's) ports, and opening one (docs/ports.md). */
export function portRoutes(deps: PortRoutesDeps): Hono<GatewayEnv> {
  const { relay, links, store } = deps;

  const viberOf = async (viberId: string) => {
    const viber = await store.getViber(viberId);
    if (!viber || viber.revokedAt)
      throw new OpenViberError('not_found', `no viber ${viberId} is registered`, 404);
    return viber;
  };

  /** The viber's ports, each with its environment (from the task it runs in, when the viber only knew the task). */
  const portsOf = async (viberId: string): Promise<{ ports: ListedPort[]; unavailable?: string }> => {
    try {
      const listed = await relay.list(viberId);
      const ports = await Promise.all(listed.ports.map((port) => withEnvironment(port)));
      return { ...listed, ports };
    } catch (error) {
      if (error instanceof PortRelayError)
        throw new OpenViberError(
          error.status === 503 ? 'viber_offline' : 'internal',
          error.message,
          error.status,
        );
      throw error;
    }
  };

  const withEnvironment = async (port: ListedPort): Promise<ListedPort> => {
    if (port.environmentId || !port.taskId) return port;
    const environmentId = (await store.getTask(port.taskId))?.options.environmentId;
    return environmentId ? { ...port, environmentId } : port;
  };

  return routes()
    .json('ports.list', async ({ params }) => {
      await viberOf(params.id);
      return { viberId: params.id, ...(await portsOf(params.id)) };
    })
    .json('ports.environmentList', async ({ params }) => {
      const full = (await store.getEnvironment(params.id)) ?? (await store.findEnvironmentByName(params.id));
      if (!full) throw new OpenViberError('not_found', `no environment ${params.id} exists`, 404);
      const environmentId = full.environment.id;
      const viberIds = [...new Set(full.bindings.map((binding) => binding.viberId))];
      const vibers: RouteResponse<RestRoutes['ports.environmentList']>['vibers'] = [];
      for (const viberId of viberIds) {
        const viber = await store.getViber(viberId);
        if (!viber || viber.revokedAt) continue;
        try {
          const { ports, unavailable } = await portsOf(viberId);
          vibers.push({
            viberId,
            viberName: viber.name,
            ports: ports.filter((port) => port.environmentId === environmentId),
            ...(unavailable ? { problem: unavailable } : {}),
          });
        } catch (error) {
          if (!OpenViberError.isInstance(error)) throw error;
          vibers.push({ viberId, viberName: viber.name, ports: [], problem: error.message });
        }
      }
      return { environmentId, vibers };
    })
    .json('ports.open', async ({ params, body }, c) => {
      await viberOf(params.id);
      if (links.problem)
        throw new OpenViberError('conflict', `ports cannot be opened: ${links.problem}`, 409);
      const { ports } = await portsOf(params.id);
      if (!ports.some((port) => port.port === params.port)) {
        throw new OpenViberError(
          'not_found',
          `port ${params.port} on viber ${params.id} is not one of the viber's services (GET /api/vibers/${params.id}/ports lists them)`,
          404,
        );
      }
      const principal = c.get('principal');
      if (!principal) throw new OpenViberError('unauthorized', 'sign in first', 401);
      const expiresAt = new Date(Date.now() + (body.ttlSeconds ?? PORT_LINK_DEFAULT_TTL_SECONDS) * 1000);
      const token = links.mint({
        viberId: params.id,
        port: params.port,
        deviceId: principal.deviceId,
        expiresAt,
      });
      const path = portProxyPath(params.id, params.port, token);
      deps.log.info({ viberId: params.id, port: params.port, deviceId: principal.deviceId }, 'port opened');
      return {
        viberId: params.id,
        port: params.port,
        path,
        url: new URL(path, c.req.url).toString(),
        expiresAt: expiresAt.toISOString(),
      };
    }).app;
}
