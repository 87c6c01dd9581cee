import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, type OpenViberHome } from '../core/home.ts';

/**
 * Where a daemon keeps its identity under the OpenViber home: its device key (`device.json`,
 * made by src/core/device-key.ts) and how it reaches its gateway (`credentials.json`: server,
 * viber id, token). Both are mode 0600 in `daemon/`, which the agent's sandbox never shows.
 */

export interface StoredDaemonCredentials {
  /** The gateway's daemon socket, `ws(s)://host:port/ws`. */
  server: string;
  viberId?: string;
  token?: string;
}

export function daemonKeyPath(home: OpenViberHome): string {
  return join(home.daemon, 'device.json');
}

export function daemonCredentialsPath(home: OpenViberHome): string {
  return join(home.daemon, 'credentials.json');
}

/**
 * Writes credentials.json (0600) whole: to a temporary file first, then renamed over the old
 * one, so a crash never leaves half a file (and a token that only this file remembers).
 */
export function saveDaemonCredentials(home: OpenViberHome, credentials: StoredDaemonCredentials): void {
  ensureDir(home.daemon);
  const path = daemonCredentialsPath(home);
  const temporary = `${path}.${process.pid}.tmp`;
  const ordered = {
    server: credentials.server,
    ...(credentials.viberId ? { viberId: credentials.viberId } : {}),
    ...(credentials.token ? { token: credentials.token } : {}),
  };
  writeFileSync(temporary, `${JSON.stringify(ordered, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
