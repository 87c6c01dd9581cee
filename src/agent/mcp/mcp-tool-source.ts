import type { Redactor } from '../../core/redaction.ts';
import type { McpServerConfig, McpServerHealth } from '../../protocol/index.ts';
import type { DefinedTool } from '../tools/define-tool.ts';

/**
 * The contract between a task and whoever keeps MCP servers running (the daemon's
 * McpConnectionManager): the task asks for the tools of the viber's servers and of its
 * environment's when it starts.
 */

/** An environment's MCP servers as a task in it gets them: secrets resolved on the viber. */
export interface EnvironmentMcpServers {
  environmentId: string;
  environmentName: string;
  /** Where a stdio server of the environment starts (its cwd is relative to it). */
  workingDir: string;
  /** Blanks the environment's secret values from what a server says (its stderr, its errors). */
  redactor: Redactor;
  servers: Array<{ config: McpServerConfig; problem?: string }>;
}

/** An MCP tool ready for a task: named `mcp__<server>__<tool>`, going through the define-tool wrapper. */
export interface McpTaskTool {
  server: string;
  tool: DefinedTool;
}

export interface McpTaskTools {
  tools: McpTaskTool[];
  /** Every server the task asked for, as it stood when the tools were listed. */
  servers: McpServerHealth[];
}

export interface McpToolSource {
  /**
   * Starts what is not running yet (the viber's servers and the environment's), waits until each
   * is connected or has failed (at most its timeout, or until `signal` aborts), and returns the
   * tools of those that are connected.
   */
  toolsFor(request: { environment?: EnvironmentMcpServers; signal: AbortSignal }): Promise<McpTaskTools>;
}
