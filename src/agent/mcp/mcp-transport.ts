import { resolve } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '../../protocol/index.ts';

/** What is kept of a stdio server's stderr for the reason of a failure. */
const STDERR_TAIL_CHARS = 2_000;

export interface ServerTransport {
  transport: Transport;
  /** The last lines the server wrote to stderr (stdio only; empty for HTTP). */
  stderrTail(): string;
}

export interface TransportOptions {
  /** The environment a stdio server starts with, before its own `env`: an allow-list. */
  baseEnv: NodeJS.ProcessEnv;
  /** Where a stdio server starts; its `cwd` is resolved against it. */
  baseDir: string;
  /** Each line of stderr, for the daemon's log. */
  onStderrLine?(line: string): void;
}

/**
 * The SDK's transport for a server: a stdio child process with a clean environment (the
 * allow-list the agent's commands get plus the server's own `env`, never the daemon's keys), its
 * stderr piped and kept short; or Streamable HTTP with the server's headers on every request.
 */
export function createServerTransport(server: McpServerConfig, options: TransportOptions): ServerTransport {
  if (server.url !== undefined) {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: server.headers ?? {} },
    });
    return { transport, stderrTail: () => '' };
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...options.baseEnv, ...server.env })) {
    if (value !== undefined) env[key] = value;
  }
  const transport = new StdioClientTransport({
    command: server.command!,
    args: server.args ?? [],
    env,
    cwd: resolve(options.baseDir, server.cwd ?? '.'),
    stderr: 'pipe',
  });
  let tail = '';
  let partial = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-STDERR_TAIL_CHARS);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) options.onStderrLine?.(line);
  });
  return { transport, stderrTail: () => tail };
}
