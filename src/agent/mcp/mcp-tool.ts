import type { JSONSchema7 } from 'ai';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../tools/define-tool.ts';
import { ToolError } from '../tools/tool-error.ts';
import { type McpToolOutput, renderToolResult } from './mcp-result.ts';

/** Longest description the model reads of one MCP tool. */
const MAX_DESCRIPTION = 4_000;

/** A tool as a server listed it, checked: its input schema compiled into a validator. */
export interface ListedTool {
  /** The server's own name for it (what `tools/call` takes). */
  name: string;
  /** The agent's name: `mcp__<server>__<tool>`. */
  agentName: string;
  description: string;
  inputSchema: Record<string, unknown>;
  readOnly: boolean;
  /** The schema's verdict on an input: a message per problem, with where it is. */
  validate(input: unknown): Array<{ path: string[]; message: string }>;
}

/** What a tool needs of its server's connection. */
export interface ToolCaller {
  readonly server: string;
  call(tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/**
 * An MCP tool through the define-tool wrapper, like every built-in tool: input checked against the
 * server's JSON Schema (a bad call names each field and never reaches the server), output bounded,
 * evidence recorded, the task's stop passed on as the call's cancellation. A tool the server marks
 * `readOnlyHint: true` is a `read` tool for the autonomy policy; any other one may change things,
 * so it is an `execute` tool (approval in agent-decides mode).
 */
export function mcpTool(listed: ListedTool, caller: ToolCaller): DefinedTool {
  const inputSchema = z.record(z.string(), z.unknown()).superRefine((input, context) => {
    for (const problem of listed.validate(input)) context.addIssue({ code: 'custom', ...problem });
  });
  const label = `${caller.server}/${listed.name}`;
  return defineTool<typeof inputSchema, McpToolOutput>({
    name: listed.agentName,
    kind: listed.readOnly ? 'read' : 'execute',
    summary: `${firstLine(listed.description || listed.name)} (MCP server ${caller.server})`,
    description:
      `${listed.description || listed.name}`.slice(0, MAX_DESCRIPTION) +
      `\n\n(Tool "${listed.name}" of the MCP server "${caller.server}".)`,
    inputSchema,
    modelInputSchema: listed.inputSchema as JSONSchema7,
    describe: (input) => `${label} ${compactJson(input)}`,
    excerpt: (output) => output.content,
    async execute(input, run) {
      const result = await caller.call(listed.name, input, run.signal);
      const output = await renderToolResult(result, {
        artifactsDir: run.context.artifactsDir,
        filePrefix: `mcp-${caller.server}-${run.toolCallId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}`,
        onSaved: (blob) => run.recordFile(blob.path, blob.bytes),
      });
      if (result.isError === true) {
        throw new ToolError('failed', `${label} reported an error: ${output.content || 'no details given'}`);
      }
      return output;
    },
  });
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? text;
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
