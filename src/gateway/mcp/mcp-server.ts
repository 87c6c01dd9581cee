import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { OPENVIBER_VERSION } from '../../core/version.ts';
import {
  describeZodError,
  GATEWAY_MCP_TOOL_NAMES,
  GATEWAY_MCP_TOOLS,
  type GatewayMcpToolName,
  gatewayMcpTool,
} from '../../protocol/index.ts';
import type { Principal } from '../auth/principal.ts';
import type { GatewayTools, ToolCallContext } from './gateway-tools.ts';
import { toolRefusal } from './tool-access.ts';

const version = OPENVIBER_VERSION;

const INSTRUCTIONS = `OpenViber runs AI agent tasks on vibers: machines where an agent works with real tools (shell, files, web).
The usual way: list_vibers to see where tasks can run; create_task with a goal (and an idempotencyKey if you may retry); wait_for_task until it finishes, calling it again after a timeout and answer_approval when it waits for your approval; get_report for the evidence-linked report. follow_task reads what the agent is doing as text, from a cursor. stop_task ends a task.`;

/**
 * The tools as tools/list shows them, computed once: JSON Schema (draft-07, as the SDK's own
 * McpServer writes it) from the protocol's zod schemas, and MCP's hints from each tool's entry.
 */
const TOOL_LIST: Tool[] = GATEWAY_MCP_TOOL_NAMES.map((name) => {
  const tool = GATEWAY_MCP_TOOLS[name];
  return {
    name,
    title: tool.title,
    description: tool.description,
    inputSchema: z.toJSONSchema(tool.input, { target: 'draft-7', io: 'input' }) as Tool['inputSchema'],
    outputSchema: z.toJSONSchema(tool.result, { target: 'draft-7', io: 'output' }) as Tool['outputSchema'],
    annotations: {
      title: tool.title,
      readOnlyHint: tool.readOnly,
      ...('destructive' in tool ? { destructiveHint: tool.destructive } : {}),
      openWorldHint: false,
    },
  };
});

export interface McpServerParts {
  tools: GatewayTools;
  principal: Principal;
  /** Aborted when the gateway closes. */
  closing: AbortSignal;
  log: Logger;
}

/**
 * One MCP server for one request (the endpoint is stateless: mcp-endpoint.ts), built on the SDK's
 * low-level Server rather than McpServer, whose tools/call turns every failure into a tool result:
 * here an unknown tool is the JSON-RPC error the specification names (-32602), while bad
 * arguments and a refused operation are tool results with isError (so the model reads them and
 * can correct itself, as the 2025-11-25 specification asks), saying `<code>: <message>` with the
 * gateway's own error code, the field named.
 */
export function createMcpServer({ tools, principal, closing, log }: McpServerParts): Server {
  const server = new Server(
    { name: 'openviber-gateway', title: 'OpenViber gateway', version },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOL_LIST }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const tool = gatewayMcpTool(name);
    if (!tool) {
      throw protocolError(
        ErrorCode.InvalidParams,
        `Unknown tool: ${name.slice(0, 100)}; this server has ${GATEWAY_MCP_TOOL_NAMES.join(', ')}`,
      );
    }
    // The endpoint refused a call without its scope with a 403 already; this is the last guard.
    const refusal = toolRefusal(principal, name as GatewayMcpToolName);
    if (refusal) return failure('forbidden', refusal.message);
    const parsed = tool.input.safeParse(request.params.arguments ?? {});
    if (!parsed.success) {
      return failure('validation_failed', `invalid arguments for ${name}: ${describeZodError(parsed.error)}`);
    }
    const token = extra._meta?.progressToken;
    const call: ToolCallContext = {
      principal,
      signal: AbortSignal.any([extra.signal, closing]),
      closing,
      ...(token !== undefined
        ? {
            progress: (progress: number, message: string) =>
              extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress, message },
              }),
          }
        : {}),
    };
    try {
      const answer = await tools.call(name as GatewayMcpToolName, parsed.data as never, call);
      log.debug({ tool: name, deviceId: principal.deviceId }, 'mcp tool answered');
      return {
        content: [{ type: 'text', text: answer.text }],
        structuredContent: answer.data as Record<string, unknown>,
      };
    } catch (error) {
      if (OpenViberError.isInstance(error) && error.status < 500) return failure(error.code, error.message);
      log.error({ err: error, tool: name, deviceId: principal.deviceId }, 'mcp tool failed');
      return failure('internal', 'internal error');
    }
  });
  return server;
}

/**
 * A JSON-RPC error the SDK answers with as it is (it sends an error's numeric `code` and its
 * message); McpError would put "MCP error <code>: " before the message on the wire.
 */
function protocolError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function failure(code: string, message: string): CallToolResult {
  return { content: [{ type: 'text', text: `${code}: ${message}` }], isError: true };
}
