import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolExecutionOptions } from 'ai';
import pino from 'pino';
import { McpConnectionManager } from '../../src/agent/mcp/index.ts';
import type { ToolContext } from '../../src/agent/tools/tool-context.ts';
import { Backoff } from '../../src/client/backoff.ts';
import { NO_REDACTION } from '../../src/core/redaction.ts';

/**
 * The MCP conformance suite's client under test (`npm run conformance:client`): OpenViber's own
 * MCP client, the code path a task takes. The suite starts a server per scenario and runs
 * `node test/conformance/mcp-client.ts <server url>` with MCP_CONFORMANCE_SCENARIO set. This entry
 * configures that URL as a Streamable HTTP server named `conformance`, lets the connection manager
 * initialise it and list its tools, calls the scenario's tool through the agent's tool wrapper
 * (`mcp__conformance__<tool>`), and exits 0 when the calls answered, 1 when anything failed.
 * It has no OAuth and no elicitation handler, as the daemon has none: those scenarios fail.
 */

const SCENARIO_CALLS: Record<string, { tool: string; input: Record<string, unknown> } | undefined> = {
  initialize: undefined,
  tools_call: { tool: 'add_numbers', input: { a: 5, b: 3 } },
  'elicitation-sep1034-client-defaults': { tool: 'test_client_elicitation_defaults', input: {} },
  'sse-retry': { tool: 'test_reconnection', input: {} },
};

const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const url = process.argv[2];
if (!url) {
  process.stderr.write(
    'usage: MCP_CONFORMANCE_SCENARIO=<scenario> node test/conformance/mcp-client.ts <server url>\n',
  );
  process.exit(2);
}

const logger = pino({ level: process.env.OPENVIBER_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const manager = new McpConnectionManager({
  servers: () => [{ name: 'conformance', url, timeoutMs: 20_000 }],
  workspace: process.cwd(),
  env: process.env,
  passNames: () => [],
  backoff: () => new Backoff(),
  redactor: () => NO_REDACTION,
  logger,
  clientInfo: { name: 'openviber-conformance', version: '0.1.0' },
});
const artifacts = mkdtempSync(join(tmpdir(), 'openviber-conformance-'));
const stop = new AbortController();
const context: ToolContext = {
  taskId: 'task_conformance',
  cwd: artifacts,
  allowedRoots: [artifacts],
  artifactsDir: artifacts,
  memoryDir: artifacts,
  planPath: join(artifacts, 'plan.json'),
  env: {},
  settingsEnv: {},
  hiddenPaths: [],
  signal: stop.signal,
  writeData: () => {},
  recordEvidence: () => {},
  logger,
};

let failed = false;
try {
  const { tools, servers } = await manager.toolsFor({ signal: stop.signal });
  const server = servers[0];
  process.stdout.write(`server: ${JSON.stringify(server)}\n`);
  if (server?.state !== 'connected') throw new Error(`not connected: ${server?.reason ?? server?.state}`);
  const call = SCENARIO_CALLS[scenario];
  if (call) {
    const found = tools.find((entry) => entry.tool.name === `mcp__conformance__${call.tool}`);
    if (!found) throw new Error(`the server lists no tool ${call.tool}`);
    const options = {
      toolCallId: 'call_conformance',
      messages: [],
      context: {},
    } as ToolExecutionOptions<unknown>;
    const output = (await found.tool.create(context).execute?.(call.input, options)) as { error?: string };
    process.stdout.write(`${call.tool}: ${JSON.stringify(output)}\n`);
    if (output?.error) throw new Error(output.error);
  }
} catch (error) {
  failed = true;
  process.stderr.write(`conformance client (${scenario}): ${(error as Error).message}\n`);
} finally {
  await manager.close();
  rmSync(artifacts, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
