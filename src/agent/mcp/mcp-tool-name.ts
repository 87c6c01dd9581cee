import { createHash } from 'node:crypto';

/** What every model provider accepts as a function name (OpenAI's rule is the strictest). */
const MAX_TOOL_NAME = 64;
const PREFIX = 'mcp__';

/**
 * The agent's name for a server's tool: `mcp__<server>__<tool>`. Characters a provider refuses
 * become `_`; a name that is too long, or that another tool of the server already took, ends in
 * `_` and six hex digits of the tool's own name, so it stays stable across restarts.
 */
export function mcpToolName(server: string, tool: string, taken: ReadonlySet<string>): string {
  const base = `${PREFIX}${server}__${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  if (base.length <= MAX_TOOL_NAME && !taken.has(base)) return base;
  const suffix = `_${createHash('sha256').update(tool).digest('hex').slice(0, 6)}`;
  return `${base.slice(0, MAX_TOOL_NAME - suffix.length)}${suffix}`;
}

/** True for a name this file makes. */
export const isMcpToolName = (name: string): boolean => name.startsWith(PREFIX);
