import { styleText } from 'node:util';
import type { McpServerConfig, McpServerHealth, ViberView } from '../../protocol/index.ts';
import { mcpTransportOf } from '../../protocol/index.ts';

// How `viber status` shows MCP servers (docs/mcp.md): those config.json configures here, and
// each viber's as its daemon last reported them.

const STATE_COLORS = {
  idle: 'gray',
  starting: 'yellow',
  connected: 'green',
  failed: 'red',
  disabled: 'gray',
} as const;

/** `files (stdio), search (http, disabled)`, or that there are none. */
export function configuredMcpServers(servers: readonly McpServerConfig[] | undefined): string {
  if (!servers?.length) return 'none configured (mcpServers in config/config.json)';
  return servers
    .map(
      (server) => `${server.name} (${mcpTransportOf(server)}${server.enabled === false ? ', disabled' : ''})`,
    )
    .join(', ');
}

/**
 * The servers a viber reported last: its last heartbeat's list when that came after it connected
 * (a heartbeat without one means it has none now), else the list it connected with.
 */
export function reportedMcpServers(viber: ViberView): McpServerHealth[] {
  const beatSinceConnect =
    viber.status &&
    viber.lastHeartbeatAt &&
    (!viber.connectedAt || viber.lastHeartbeatAt >= viber.connectedAt);
  return (beatSinceConnect ? viber.status?.mcpServers : viber.info?.mcpServers) ?? [];
}

/** One line per server: `mcp everything  connected  12 tools`, a failure with its reason. */
export function mcpServerLine(server: McpServerHealth): string {
  const owner = server.environment ? ` (environment ${server.environment.name})` : '';
  const state = styleText(STATE_COLORS[server.state], server.state.padEnd(9));
  const tools = server.state === 'connected' ? `  ${server.toolCount} tools` : '';
  const skipped = server.skippedTools?.length ? `, ${server.skippedTools.length} skipped` : '';
  const reason = server.reason
    ? `  ${styleText(server.state === 'failed' ? 'red' : 'dim', server.reason)}`
    : '';
  return `mcp ${server.name}${owner}  ${state}${tools}${skipped}${reason}`;
}
