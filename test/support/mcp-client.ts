import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/**
 * The gateway's /mcp as MCP clients reach it: the SDK's own Client over Streamable HTTP with a
 * bearer token, a tool call read back as text and structured content, and a raw POST for what no
 * SDK client would send.
 */

/** A connected SDK client of `<baseUrl>/mcp`; `token: null` sends no Authorization. */
export async function connectMcp(
  baseUrl: string,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: 'openviber-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } },
  });
  await client.connect(transport);
  return client;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read the structured content of any tool.
export type Structured = any;

export interface ToolAnswer {
  text: string;
  data: Structured;
  isError: boolean;
}

/** A tools/call, the answer's first text and its structured content. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
  return { text, data: result.structuredContent, isError: result.isError === true };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * A raw POST to `<baseUrl>/mcp` over node:http (so even `Host` is the caller's), with the token,
 * the JSON content type and the Accept an MCP client sends, unless `headers` says otherwise.
 */
export function postMcp(
  baseUrl: string,
  token: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(`${baseUrl}/mcp`), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(response.headers)) answer.set(name, String(value));
        resolve({
          status: response.statusCode ?? 0,
          headers: answer,
          text: Buffer.concat(chunks).toString(),
        });
      });
    });
    request.end(body);
  });
}

/** An `initialize` request as a client of protocol 2025-06-18 sends it. */
export const MCP_INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
