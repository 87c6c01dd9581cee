import { Backoff, type BackoffOptions, sleep } from './backoff.ts';
import type { GatewayAccess } from './gateway-access.ts';
import { GatewayClientError } from './gateway-client-error.ts';
import {
  type ConnectTerminalOptions,
  connectTerminal,
  type TerminalConnection,
} from './terminal-connection.ts';

export interface KeepTerminalOptions extends ConnectTerminalOptions {
  signal: AbortSignal;
  backoff?: BackoffOptions;
  /**
   * A connection is ready. Viewers attach again here: the gateway forgot them with the old socket,
   * and attaching sends a fresh screen, so nothing is lost that the screen does not show.
   */
  onConnection: (connection: TerminalConnection) => void;
  /** The socket is gone (or could not be opened); the next attempt comes after `retryInMs`. */
  onDisconnected?: (info: { error: GatewayClientError; attempt: number; retryInMs: number }) => void;
}

/**
 * Keeps a terminal connection open until `signal` aborts: after a drop (the gateway restarting, a
 * laptop waking up) it reconnects with the client's one backoff. A refused upgrade (401, 403)
 * ends it with that error: waiting does not mend credentials.
 */
export async function keepTerminalConnected(
  client: GatewayAccess,
  options: KeepTerminalOptions,
): Promise<void> {
  const { signal } = options;
  const backoff = new Backoff(options.backoff);
  while (!signal.aborted) {
    let error: GatewayClientError;
    try {
      const connection = await connectTerminal(client, options);
      if (signal.aborted) {
        await connection.close();
        return;
      }
      const close = () => void connection.close();
      signal.addEventListener('abort', close, { once: true });
      backoff.reset();
      options.onConnection(connection);
      const { code, reason } = await connection.closed;
      signal.removeEventListener('abort', close);
      error = new GatewayClientError('unreachable', `the terminal socket closed (${code}) ${reason}`.trim());
    } catch (caught) {
      if (!GatewayClientError.isInstance(caught) || !caught.retryable) throw caught;
      error = caught;
    }
    if (signal.aborted) return;
    const retryInMs = backoff.next();
    options.onDisconnected?.({ error, attempt: backoff.attempts, retryInMs });
    await sleep(retryInMs, signal).catch(() => undefined);
  }
}
