import { GatewayClientError, type KeepTerminalOptions, keepTerminalConnected } from '#lib/client.ts';
import { deviceKey } from '../state/device-key.ts';
import { session } from '../state/session.svelte.ts';
import { gateway } from './gateway.ts';

/**
 * The terminal socket (`terminals.socket`), kept open by the client's keepTerminalConnected: after
 * a drop it reconnects with the one backoff and hands over each new connection. Each connection
 * opens with the connect handshake, signed with this browser's device key (role operator, no
 * token: the session cookie on the upgrade is the credential, and the key must be its device's).
 * A refused upgrade or handshake (4401) ends it; unlike a REST call it does not pass the client's
 * error hook, so the session is marked expired here.
 */
export async function keepTerminal(options: KeepTerminalOptions): Promise<void> {
  const key = await deviceKey();
  try {
    // Without a stored key (a keyless browser device) the client signs with a key made for the
    // connection: the gateway takes any key's signature for a keyless device's session.
    await keepTerminalConnected(gateway, key.identity ? { ...options, identity: key.identity } : options);
  } catch (error) {
    if (options.signal.aborted) return;
    if (GatewayClientError.isInstance(error) && error.code === 'unauthorized') session.expired(error.message);
    if (!key.identity && GatewayClientError.isInstance(error) && error.code === 'internal') {
      throw new GatewayClientError('internal', `Terminals need a device key, and ${key.reason}.`, { cause: error });
    }
    throw error;
  }
}
