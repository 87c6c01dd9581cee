import type { RouteInput } from '#lib/client.ts';
import type { ConfigPushResponse, ViberListResponse, ViberView } from '#lib/protocol.ts';
import { gateway } from './gateway.ts';

/** Vibers (`vibers.*` in src/protocol/viber-api.ts): the list, one viber and the config push. */

export type ViberListQuery = NonNullable<RouteInput<'vibers.list'>['query']>;

/** A page of vibers by name: `nextCursor` reads the next one (null: none). */
export function listVibers(query: ViberListQuery = {}): Promise<ViberListResponse> {
  return gateway.call('vibers.list', { query });
}

export function getViber(id: string): Promise<ViberView> {
  return gateway.call('vibers.get', { params: { id } });
}

/** Asks a connected viber to pull and validate its config; its answer arrives as a `viber.updated` event. */
export function pushConfig(id: string): Promise<ConfigPushResponse> {
  return gateway.call('vibers.configPush', { params: { id } });
}
