import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import type { ListedTool } from './mcp-tool.ts';
import { mcpToolName } from './mcp-tool-name.ts';

/** At most this many pages of `tools/list` are read (a server that pages forever is cut there). */
const MAX_PAGES = 50;
const MAX_TOOLS = 500;

/** `tools/list` read loosely, so one broken tool does not lose the server's others. */
const LooseListSchema = z.looseObject({ tools: z.array(z.unknown()), nextCursor: z.string().optional() });

export interface ToolListing {
  tools: ListedTool[];
  /** Tools left out, each with the reason (shown in the server's health). */
  skipped: Array<{ name: string; reason: string }>;
}

/**
 * Every tool of a connected server, each checked on its own: its description must fit the MCP
 * schema and its input schema must compile as JSON Schema, or the tool is skipped with the reason
 * while the server's other tools stay.
 */
export async function listServerTools(
  client: Client,
  server: string,
  options: { timeout: number; signal?: AbortSignal },
): Promise<ToolListing> {
  const raw: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES && raw.length < MAX_TOOLS; page++) {
    const result = await client.request(
      { method: 'tools/list', params: cursor ? { cursor } : {} },
      LooseListSchema,
      options,
    );
    raw.push(...result.tools);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  const validator = new AjvJsonSchemaValidator();
  const listing: ToolListing = { tools: [], skipped: [] };
  const taken = new Set<string>();
  for (const entry of raw.slice(0, MAX_TOOLS)) {
    const name = nameOf(entry);
    const parsed = ToolSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      listing.skipped.push({ name, reason: `not a valid MCP tool (${where}${issue?.message ?? 'invalid'})` });
      continue;
    }
    const tool = parsed.data;
    if (tool.execution?.taskSupport === 'required') {
      listing.skipped.push({
        name,
        reason: 'it runs only as an MCP task (taskSupport: required), which this client does not do',
      });
      continue;
    }
    let check: ReturnType<AjvJsonSchemaValidator['getValidator']>;
    try {
      check = validator.getValidator(tool.inputSchema);
    } catch (error) {
      listing.skipped.push({
        name,
        reason: `its inputSchema is not valid JSON Schema: ${(error as Error).message}`.slice(0, 500),
      });
      continue;
    }
    const agentName = mcpToolName(server, tool.name, taken);
    taken.add(agentName);
    listing.tools.push({
      name: tool.name,
      agentName,
      description: tool.description ?? tool.title ?? tool.annotations?.title ?? '',
      inputSchema: tool.inputSchema,
      readOnly: tool.annotations?.readOnlyHint === true,
      validate: (input) => {
        const verdict = check(input);
        return verdict.valid ? [] : problemsOf(verdict.errorMessage ?? 'does not match the input schema');
      },
    });
  }
  return listing;
}

function nameOf(entry: unknown): string {
  const name = typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'name') : undefined;
  return typeof name === 'string' ? name.slice(0, 200) : '(unnamed)';
}

/**
 * Ajv's text (`data/city must be string, data must have required property 'days'`) as one problem
 * per error, each with its field: what the define-tool wrapper shows the model.
 */
function problemsOf(text: string): Array<{ path: string[]; message: string }> {
  return text.split(/, (?=data[/ ])/).map((piece) => {
    const match = /^data((?:\/[^ ]*)?) (.*)$/s.exec(piece);
    if (!match) return { path: [], message: piece };
    const path = match[1]!.split('/').filter(Boolean);
    return { path, message: match[2]! };
  });
}
