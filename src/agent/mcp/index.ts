// MCP servers' tools as the agent's tools (docs/mcp.md): what the daemon and tests may import.
export { MCP_MAX_RETRIES, type McpServerLaunch, type ReconnectDelays } from './mcp-connection.ts';
export { McpConnectionManager, type McpManagerOptions } from './mcp-manager.ts';
export { isMcpToolName, mcpToolName } from './mcp-tool-name.ts';
export type { EnvironmentMcpServers, McpTaskTool, McpTaskTools, McpToolSource } from './mcp-tool-source.ts';
