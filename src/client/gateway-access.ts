import type { RouteName, SseRouteName } from '../protocol/index.ts';
import type { RouteArgs } from './route-input.ts';

/**
 * What the followers (task stream, board events, terminals) need of a client: to open a stream
 * route, to build a route's URL, and its token. GatewayClient implements it and offers each
 * follower as a method; the followers take this interface, not the class, so that neither file
 * imports the other.
 */
export interface GatewayAccess {
  readonly token: string | undefined;
  open<N extends SseRouteName>(name: N, ...args: RouteArgs<N>): Promise<Response>;
  url<N extends RouteName>(name: N, ...args: RouteArgs<N>): string;
}
