import type { ConfigPushResponse, ViberView } from '#lib/protocol.ts';
import { gateway } from './gateway.ts';

/** Vibers (`vibers.*` in src/protocol/viber-api.ts): the list and the config push. */

export async function listVibers(): Promise<ViberView[]> {
  return (await gateway.call('vibers.list')).vibers;
}

/** Asks a connected viber to pull and validate its config; its answer arrives as a `viber.updated` event. */
export function pushConfig(id: string): Promise<ConfigPushResponse> {
  return gateway.call('vibers.configPush', { params: { id } });
}
