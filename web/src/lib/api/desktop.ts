import { connectDesktop, type DesktopConnection } from '#lib/client.ts';
import type { DesktopAccess } from '#lib/protocol.ts';
import { deviceKey } from '../state/device-key.ts';
import { gateway } from './gateway.ts';

/**
 * Opens a live view of a viber's desktop (`desktop.socket`), its handshake signed with this
 * browser's device key (or a key made for it, like the terminal socket), the session cookie on
 * the upgrade being the credential.
 */
export async function openDesktopView(viberId: string, access: DesktopAccess = 'view'): Promise<DesktopConnection> {
  const key = await deviceKey();
  return connectDesktop(gateway, { viberId, access, ...(key.identity ? { identity: key.identity } : {}) });
}
