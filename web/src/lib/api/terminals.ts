import { GatewayClientError, type KeepTerminalOptions, keepTerminalConnected } from '#lib/client.ts';
import { gateway } from './gateway.ts';
import { session } from '../state/session.svelte.ts';

/**
 * The terminal socket (`terminals.socket`), kept open by the client's keepTerminalConnected: after
 * a drop it reconnects with the one backoff and hands over each new connection. A refused upgrade
 * (4401) ends it; unlike a REST call it does not pass the client's error hook, so the session is
 * marked expired here.
 */
export async function keepTerminal(options: KeepTerminalOptions): Promise<void> {
  try {
    await keepTerminalConnected(gateway, options);
  } catch (error) {
    if (GatewayClientError.isInstance(error) && error.code === 'unauthorized') session.expired(error.message);
    if (!options.signal.aborted) throw error;
  }
}
