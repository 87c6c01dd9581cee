import { join } from 'node:path';
import { afterEach } from 'vitest';
import { McpConnectionManager, type McpManagerOptions } from '../../../src/agent/mcp/index.ts';
import { Backoff, type BackoffOptions } from '../../../src/client/backoff.ts';
import { NO_REDACTION } from '../../../src/core/redaction.ts';
import type { McpServerConfig } from '../../../src/protocol/index.ts';
import { REPO_ROOT } from '../processes.ts';
import { silentLogger } from './agent-test.ts';

/**
 * MCP servers for the tests of the MCP client: the real servers from node_modules and the test
 * server (test/support/mcp-test-server.ts), each as a stdio server configuration, and a
 * McpConnectionManager in this process with short backoff delays, closed after each test.
 */

const EVERYTHING = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FILESYSTEM = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
export const MCP_TEST_SERVER = join(REPO_ROOT, 'test/support/mcp-test-server.ts');

/** server-everything over stdio. */
export function everythingServer(fields: Partial<McpServerConfig> = {}): McpServerConfig {
  return { name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'], ...fields };
}

/** server-filesystem over stdio, allowed `root` only. */
export function filesystemServer(root: string, fields: Partial<McpServerConfig> = {}): McpServerConfig {
  return { name: 'files', command: process.execPath, args: [FILESYSTEM, root], ...fields };
}

/** The test server in one of its modes (tools, garbage, hang, exit). */
export function testServer(
  name: string,
  mode: string,
  fields: Partial<McpServerConfig> = {},
): McpServerConfig {
  return { name, command: process.execPath, args: [MCP_TEST_SERVER, mode], ...fields };
}

/** The one backoff (src/client/backoff.ts), which the agent's own tests may not import. */
export function backoff(options: BackoffOptions): Backoff {
  return new Backoff(options);
}

const open = new Set<McpConnectionManager>();

/** A manager over `servers` (changeable through the returned `set`), closed after the test. */
export function startMcpManager(
  servers: McpServerConfig[],
  options: Partial<McpManagerOptions> = {},
): McpConnectionManager & { set(next: McpServerConfig[]): void } {
  let current = servers;
  const manager = new McpConnectionManager({
    servers: () => current,
    workspace: REPO_ROOT,
    env: process.env,
    passNames: () => [],
    backoff: () => new Backoff({ baseMs: 50, maxMs: 200 }),
    redactor: () => NO_REDACTION,
    logger: silentLogger,
    ...options,
  });
  open.add(manager);
  return Object.assign(manager, {
    set(next: McpServerConfig[]) {
      current = next;
    },
  });
}

/** Closes the managers of each test after it. */
export function useMcpManagers(): void {
  afterEach(async () => {
    await Promise.all([...open].map((manager) => manager.close()));
    open.clear();
  });
}
