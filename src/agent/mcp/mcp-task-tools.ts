import type { ToolSet, UIMessageChunk } from 'ai';
import type { McpServerHealth } from '../../protocol/index.ts';
import type { ToolCatalog } from '../autonomy-policy.ts';
import type { ToolContext } from '../tools/tool-context.ts';
import type { EnvironmentMcpServers, McpToolSource } from './mcp-tool-source.ts';

/** What MCP adds to one task: its tools, their catalog entries, a prompt section, and notes. */
export interface McpTaskAddition {
  tools: ToolSet;
  catalog: ToolCatalog;
  /** `# MCP servers`: which servers the task has, and which it lacks and why. */
  prompt: string;
  /** `data-mcp-server` parts for the stream: each server the task wanted that is not connected. */
  notes: UIMessageChunk[];
}

/**
 * The tools of the MCP servers a task may use, bound to its context. A server that is not
 * connected costs the task nothing but its tools: the model reads why in the prompt, the operator
 * in a `data-mcp-server` part of the stream (its data: the server's health).
 */
export async function mcpTaskAddition(options: {
  source: McpToolSource;
  environment?: EnvironmentMcpServers;
  context: ToolContext;
  signal: AbortSignal;
}): Promise<McpTaskAddition> {
  const { tools, servers } = await options.source.toolsFor({
    ...(options.environment ? { environment: options.environment } : {}),
    signal: options.signal,
  });
  const missing = servers.filter((server) => server.state !== 'connected' && server.state !== 'disabled');
  return {
    tools: Object.fromEntries(tools.map(({ tool }) => [tool.name, tool.create(options.context)])),
    catalog: Object.fromEntries(
      tools.map(({ tool }) => [tool.name, { kind: tool.kind, summary: tool.summary }]),
    ),
    prompt: promptSection(servers, tools.length),
    notes: missing.map(
      (server) =>
        ({ type: 'data-mcp-server', id: `mcp-server-${server.name}`, data: server }) as UIMessageChunk,
    ),
  };
}

function promptSection(servers: McpServerHealth[], toolCount: number): string {
  const lines = servers
    .filter((server) => server.state !== 'disabled')
    .map((server) =>
      server.state === 'connected'
        ? `- ${server.name}: connected, ${server.toolCount} tools (named mcp__${server.name}__<tool>)`
        : `- ${server.name}: not available (${server.reason ?? server.state}); its tools are missing from this task`,
    );
  if (lines.length === 0) return '';
  const intro =
    toolCount > 0
      ? 'Tools named mcp__<server>__<tool> come from MCP servers the operator configured; their results are what the server says.'
      : 'The operator configured MCP servers, but none is available to this task.';
  return `# MCP servers\n${intro}\n${lines.join('\n')}`;
}
