import type { z } from 'zod';
import { BOARD_ROUTES } from './board-api.ts';
import { CHANNEL_ROUTES } from './channel-api.ts';
import { DEVICE_ROUTES } from './device-api.ts';
import { ENVIRONMENT_ROUTES } from './environment-api.ts';
import { JOB_ROUTES } from './job-api.ts';
import { METRICS_ROUTES } from './metrics-api.ts';
import { PORT_ROUTES } from './port-api.ts';
import { matchPath, type RestRoute } from './rest-route.ts';
import { SETTINGS_ROUTES } from './settings-api.ts';
import { SOCKET_ROUTES } from './socket-api.ts';
import { TASK_ROUTES } from './task-api.ts';
import { VIBER_ROUTES } from './viber-api.ts';

/**
 * Every route the gateway serves, once: method, path, schemas, scope. The gateway registers its
 * handlers from it, the client builds and checks its calls from it, `npm run schema` publishes it
 * (schema/openviber-rest-routes.schema.json), and a test walks it against a running gateway.
 * Names are stable (`<resource>.<action>`): scopes, logs and clients refer to routes by them.
 */
export const REST_ROUTES = {
  ...BOARD_ROUTES,
  ...VIBER_ROUTES,
  ...TASK_ROUTES,
  ...ENVIRONMENT_ROUTES,
  ...DEVICE_ROUTES,
  ...SOCKET_ROUTES,
  ...METRICS_ROUTES,
  ...SETTINGS_ROUTES,
  ...JOB_ROUTES,
  ...PORT_ROUTES,
  ...CHANNEL_ROUTES,
} as const satisfies Record<string, RestRoute>;

export type RestRoutes = typeof REST_ROUTES;
export type RouteName = keyof RestRoutes;
type NamesOfKind<K extends RestRoute['kind']> = {
  [N in RouteName]: RestRoutes[N]['kind'] extends K ? N : never;
}[RouteName];
export type JsonRouteName = NamesOfKind<'json'>;
export type SseRouteName = NamesOfKind<'sse'>;
export type WebSocketRouteName = NamesOfKind<'websocket'>;
export type FileRouteName = NamesOfKind<'file'>;

export const ROUTE_NAMES = Object.keys(REST_ROUTES) as readonly RouteName[];

/** The entry of a route, widened to the entry shape (for code that walks the table). */
export function routeOf(name: RouteName): RestRoute {
  return REST_ROUTES[name];
}

type SchemaAt<R, K extends string> = R extends { readonly [P in K]: infer S extends z.ZodType } ? S : never;
/** What a caller passes: the schema's input side (defaults optional, numbers as numbers). */
export type RouteParams<R> = z.input<SchemaAt<R, 'params'>>;
export type RouteQuery<R> = z.input<SchemaAt<R, 'query'>>;
export type RouteBody<R> = z.input<SchemaAt<R, 'body'>>;
/** What a JSON route answers on success, whichever success status it uses. */
export type RouteResponse<R> = R extends { readonly responses: infer M }
  ? { [S in keyof M]: M[S] extends z.ZodType ? z.output<M[S]> : never }[keyof M]
  : never;
/** One event of an SSE route, or one message of a WebSocket route, as received. */
export type RouteEvent<R> = z.output<SchemaAt<R, 'event'>>;
export type RouteServerMessage<R> = z.output<SchemaAt<R, 'serverMessage'>>;
export type RouteClientMessage<R> = z.input<SchemaAt<R, 'clientMessage'>>;

/** The route a request is for, with its path parameters; undefined when the table has none. */
export function matchRoute(
  method: string,
  pathname: string,
): { name: RouteName; route: RestRoute; params: Record<string, string> } | undefined {
  const wanted = method.toUpperCase();
  for (const name of ROUTE_NAMES) {
    const route = routeOf(name);
    if (route.method !== wanted) continue;
    const params = matchPath(route.path, pathname);
    if (params) return { name, route, params };
  }
  return undefined;
}
