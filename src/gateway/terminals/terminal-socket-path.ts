import { REST_ROUTES } from '../../protocol/index.ts';

/** Where browsers and the CLI reach terminals, on the gateway's own port (docs/decisions.md, 5): the table's path. */
export const DEFAULT_TERMINAL_SOCKET_PATH: string = REST_ROUTES['terminals.socket'].path;

/** The terminal socket's path: OPENVIBER_TERMINAL_WS_PATH when it is an absolute path, else the default. */
export function terminalSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.OPENVIBER_TERMINAL_WS_PATH?.trim();
  return path && /^\/[A-Za-z0-9/_.-]*$/.test(path) ? path : DEFAULT_TERMINAL_SOCKET_PATH;
}
