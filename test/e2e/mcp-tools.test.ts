import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnvironmentView, McpServerHealth, ViberView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, toolPartOf, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { startEverythingHttpServer } from '../support/mcp-http-server.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { REPO_ROOT, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor, withTimeout } from '../support/wait.ts';

// MCP servers' tools in real tasks: a gateway and a daemon as processes, the daemon's config.json
// naming server-everything (stdio), server-filesystem (stdio, on a temp folder) and
// server-everything over Streamable HTTP; an environment with its own server and a secret. The
// scripted OpenAI-compatible model calls the mcp__ tools; the results reach the model and the
// stream, and the viber's health reaches the REST API, `viber status` and the board.

useE2eCleanup();

const EVERYTHING = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FILESYSTEM = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const TEST_SERVER = join(REPO_ROOT, 'test/support/mcp-test-server.ts');
const CANARY = 'mcp-cnry-3e1f-TOP-SECRET-99';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The model calls the given tools in one turn, then answers with a line. */
function callsThenText(calls: Array<{ id: string; name: string; input: unknown }>, text: string) {
  return ({ body }: { body: ChatRequestBody }): ScriptTurn =>
    lastMessage(body)?.role === 'tool' ? { type: 'text', text } : { type: 'tool-calls', calls };
}

/** A daemon home whose config.json names `mcpServers`. */
function homeWith(mcpServers: unknown[]): string {
  const home = makeTempDir('daemon');
  mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'config', 'config.json'), JSON.stringify({ mcpServers }), { mode: 0o600 });
  return home;
}

async function mcpHealth(gateway: GatewayHandle, viberId: string): Promise<McpServerHealth[]> {
  const viber = (await gateway.rest.getViber(viberId)) as ViberView;
  return viber.status?.mcpServers ?? viber.info?.mcpServers ?? [];
}

describe("a viber's MCP servers", () => {
  it('join every task: stdio and Streamable HTTP servers answer the model, and the health shows them', async () => {
    const files = makeTempDir('mcp-files');
    writeFileSync(join(files, 'plan.txt'), 'step 1: ship the MCP client\n');
    const http = await startEverythingHttpServer();
    onCleanup(() => http.close());
    const home = homeWith([
      { name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'] },
      { name: 'files', command: process.execPath, args: [FILESYSTEM, files] },
      { name: 'remote', url: http.url, headers: { 'X-Viber-Test': 'yes' } },
      { name: 'spare', command: process.execPath, args: [EVERYTHING, 'stdio'], enabled: false },
    ]);
    const model = await startModelServer({
      script: callsThenText(
        [
          { id: 'call_echo', name: 'mcp__everything__echo', input: { message: 'over stdio' } },
          { id: 'call_read', name: 'mcp__files__read_text_file', input: { path: join(files, 'plan.txt') } },
          { id: 'call_sum', name: 'mcp__remote__get-sum', input: { a: 19, b: 23 } },
        ],
        'All three MCP servers answered.',
      ),
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { home, modelBaseURL: model.baseURL, name: 'mcp-viber' });

    // Nothing starts before a task needs it; the disabled server never does.
    expect((await mcpHealth(gateway, daemon.viberId)).map((server) => [server.name, server.state])).toEqual([
      ['everything', 'idle'],
      ['files', 'idle'],
      ['remote', 'idle'],
      ['spare', 'disabled'],
    ]);

    const task = await gateway.rest.createTask({
      goal: 'Use the MCP servers.',
      viberId: daemon.viberId,
      options: { mode: 'always-execute' },
    });
    const reader = await gateway.follow(task.id);
    const message = await withTimeout(reader.finished, 90_000, 'the task stream to end');
    expect(reader.parseErrors).toEqual([]);
    expect(toolPartOf(message, 'mcp__everything__echo')).toMatchObject({
      state: 'output-available',
      output: { evidenceId: 'call_echo', content: 'Echo: over stdio' },
    });
    expect(toolPartOf(message, 'mcp__files__read_text_file')).toMatchObject({
      state: 'output-available',
      output: { content: 'step 1: ship the MCP client\n' },
    });
    expect(JSON.stringify(toolPartOf(message, 'mcp__remote__get-sum')?.output)).toContain('42');
    await waitForTaskStatus(gateway.rest, task.id, 'completed');

    const offered = model.requests[0]?.body.tools?.map((tool) => tool.function.name) ?? [];
    expect(offered).toEqual(
      expect.arrayContaining([
        'shell',
        'mcp__everything__echo',
        'mcp__files__read_text_file',
        'mcp__remote__get-sum',
      ]),
    );
    expect(offered.some((name) => name.startsWith('mcp__spare__'))).toBe(false);
    const results = JSON.stringify(model.requests[1]?.body.messages.filter((entry) => entry.role === 'tool'));
    expect(results).toContain('Echo: over stdio');
    expect(results).toContain('step 1: ship the MCP client');
    expect(http.requests.some((headers) => headers['x-viber-test'] === 'yes')).toBe(true);

    // The heartbeat reports them connected, with their tools.
    const health = await waitFor(
      async () => {
        const servers = await mcpHealth(gateway, daemon.viberId);
        return servers.filter((server) => server.state === 'connected').length === 3 ? servers : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'the servers to be reported connected' },
    );
    expect(health.find((server) => server.name === 'files')).toMatchObject({
      transport: 'stdio',
      serverInfo: { name: 'secure-filesystem-server' },
    });
    expect(health.find((server) => server.name === 'remote')).toMatchObject({ transport: 'http' });

    const status = spawnViber(['status', '--gateway', gateway.url, '--token', gateway.operatorToken], {
      name: 'status',
      env: { OPENVIBER_HOME: home, NO_COLOR: '1' },
    });
    expect((await status.exited).code).toBe(0);
    expect(status.stdout).toContain(
      'mcp       everything (stdio), files (stdio), remote (http), spare (stdio, disabled)',
    );
    const everythingTools = health.find((server) => server.name === 'everything')?.toolCount;
    expect(status.stdout).toMatch(
      new RegExp(`mcp everything  connected  ${everythingTools} tools, 1 skipped`),
    );
    expect(status.stdout).toContain('mcp spare  disabled');
  });

  it('of an environment get its secrets from the viber, never see the daemon keys, and are redacted', async () => {
    const model = await startModelServer({
      script: callsThenText(
        [{ id: 'call_env', name: 'mcp__envtools__get-env', input: {} }],
        'Checked the environment.',
      ),
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'env-viber' });
    const created = await gateway.rest.request<EnvironmentView>('POST', '/api/environments', {
      body: {
        name: 'mcp-env',
        type: 'manual',
        secrets: { API_TOKEN: CANARY },
        mcpServers: [
          {
            name: 'envtools',
            command: process.execPath,
            args: [EVERYTHING, 'stdio'],
            env: { SERVICE_TOKEN: `\${secrets.API_TOKEN}`, MODE: 'plain-visible' },
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    const environmentId = created.body.id;
    await gateway.rest.request('POST', `/api/environments/${environmentId}/bindings`, {
      body: { viberId: daemon.viberId },
    });
    await waitFor(
      async () => {
        const { body } = await gateway.rest.request<EnvironmentView>(
          'GET',
          `/api/environments/${environmentId}`,
        );
        return body.bindings[0]?.status === 'ready';
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'the environment to be ready' },
    );

    const task = await gateway.rest.createTask({
      goal: 'What does the server see?',
      options: { environmentId, mode: 'always-execute' },
    });
    const reader = await gateway.follow(task.id);
    const message = await withTimeout(reader.finished, 90_000, 'the task stream to end');
    const output = JSON.stringify(toolPartOf(message, 'mcp__envtools__get-env')?.output);
    expect(output).toContain('plain-visible');
    expect(output).toContain('[redacted:API_TOKEN]');
    expect(output).not.toContain(CANARY);
    expect(output).not.toContain('OPENVIBER_VIBER_TOKEN');
    expect(output).not.toContain('OPENVIBER_BASE_URL');
    expect(JSON.stringify(model.requests)).not.toContain(CANARY);
    expect(JSON.stringify(reader.chunks)).not.toContain(CANARY);

    const health = await waitFor(
      async () => (await mcpHealth(gateway, daemon.viberId)).find((server) => server.state === 'connected'),
      { timeoutMs: 30_000, intervalMs: 200, description: "the environment's server in the health" },
    );
    expect(health).toMatchObject({ name: 'envtools', environment: { id: environmentId, name: 'mcp-env' } });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('are stopped when the daemon stops (%s)', async (signal) => {
    const markers = makeTempDir('mcp-markers');
    const home = homeWith([
      {
        name: 'tools',
        command: process.execPath,
        args: [TEST_SERVER, 'tools'],
        env: { MCP_TEST_MARKERS: markers },
      },
    ]);
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      home,
      modelBaseURL: 'http://127.0.0.1:9/v1',
      name: 'stopping',
    });
    // config:push starts every enabled server.
    await gateway.rest.client.call('vibers.configPush', { params: { id: daemon.viberId } });
    const pid = await waitFor(
      () =>
        readdirSync(markers)
          .find((name) => name.startsWith('pid-'))
          ?.slice(4),
      { timeoutMs: 30_000, description: 'the server to start' },
    );
    expect(isRunning(Number(pid))).toBe(true);
    await daemon.process.kill(signal);
    await waitFor(() => !isRunning(Number(pid)), { timeoutMs: 10_000, description: 'the server to be gone' });
  });

  it('refuses a config.json with a bad entry: the daemon exits naming the field', async () => {
    const home = homeWith([{ name: 'Bad Name', command: 'x' }]);
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      home,
      modelBaseURL: 'http://127.0.0.1:9/v1',
      waitConnected: false,
    });
    expect((await daemon.process.exited).code).toBe(1);
    expect(daemon.process.stderr).toContain(
      'config.json: mcpServers.0.name: must be 1-32 lowercase letters, digits, hyphens or underscores',
    );
  });
});
