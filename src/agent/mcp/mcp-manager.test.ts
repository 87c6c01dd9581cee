import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolSet } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backoff,
  everythingServer,
  filesystemServer,
  startMcpManager,
  testServer,
  useMcpManagers,
} from '../../../test/support/in-process/mcp-manager.ts';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { type McpHttpServer, startEverythingHttpServer } from '../../../test/support/mcp-http-server.ts';
import { makeTempDir, useTempDirs } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { createRedactor } from '../../core/redaction.ts';
import type { McpServerHealth } from '../../protocol/index.ts';
import { MCP_MAX_RETRIES } from './mcp-connection.ts';
import type { McpTaskTools } from './mcp-tool-source.ts';

// The MCP client against real servers: server-everything over stdio and Streamable HTTP,
// server-filesystem over stdio, and the test server's broken modes. Tool calls go through the
// agent's tools (the define-tool wrapper), as a task makes them.

useMcpManagers();
useTempDirs();
const tool = useToolContext();

const never = new AbortController().signal;
const toolSetOf = (listed: McpTaskTools): ToolSet =>
  Object.fromEntries(listed.tools.map((entry) => [entry.tool.name, entry.tool.create(tool.context)]));
const serverOf = (listed: { servers: McpServerHealth[] }, name: string) =>
  listed.servers.find((server) => server.name === name);

describe('server-everything over stdio', () => {
  it('connects, names each tool mcp__<server>__<tool> with its kind, and answers a call', async () => {
    const manager = startMcpManager([everythingServer()]);
    const listed = await manager.toolsFor({ signal: never });
    const health = serverOf(listed, 'everything');
    expect(health).toMatchObject({
      state: 'connected',
      transport: 'stdio',
      serverInfo: { name: 'mcp-servers/everything' },
      protocolVersion: '2025-11-25',
    });
    const kinds = Object.fromEntries(listed.tools.map((entry) => [entry.tool.name, entry.tool.kind]));
    expect(kinds.mcp__everything__echo).toBe('read');
    expect(kinds['mcp__everything__gzip-file-as-resource']).toBe('execute');
    expect(health?.toolCount).toBe(listed.tools.length);
    // A tool that runs only as an MCP task is left out, and the health says why.
    expect(health?.skippedTools).toContainEqual({
      name: 'simulate-research-query',
      reason: expect.stringContaining('taskSupport: required'),
    });

    const tools = toolSetOf(listed);
    expect(await callTool(tools, 'mcp__everything__echo', { message: 'hi there' })).toEqual({
      content: 'Echo: hi there',
    });
    const bad = await callTool(tools, 'mcp__everything__get-sum', { a: 1, b: 'two' });
    expect(bad.error).toBe('Invalid input for mcp__everything__get-sum: b: must be number');
    expect(tool.evidence.at(-2)).toMatchObject({
      kind: 'tool-call',
      tool: 'mcp__everything__echo',
      input: 'everything/echo {"message":"hi there"}',
      ok: true,
    });
  });

  it('writes an image to the artifacts folder and tells the model where', async () => {
    const manager = startMcpManager([everythingServer()]);
    const tools = toolSetOf(await manager.toolsFor({ signal: never }));
    const output = await callTool<{ content: string }>(
      tools,
      'mcp__everything__get-tiny-image',
      {},
      'call_img',
    );
    const path = join(tool.context.artifactsDir, 'mcp-everything-call_img-2.png');
    expect(output.content).toContain(
      `[image image/png, ${readFileSync(path).length} bytes saved to ${path}]`,
    );
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
    expect(tool.evidence).toContainEqual(expect.objectContaining({ kind: 'file', path }));
    const resource = await callTool<{ content: string }>(tools, 'mcp__everything__get-resource-reference', {
      resourceType: 'Text',
      resourceId: 1,
    });
    expect(resource.content).toContain(
      '[resource demo://resource/dynamic/text/1 (text/plain)]\nResource 1: ',
    );
  });

  it('starts the server with the allow-listed environment and its own env, never the daemon keys', async () => {
    const manager = startMcpManager([everythingServer({ env: { GREETING: 'hello from config' } })], {
      env: { PATH: process.env.PATH, HOME: '/home/viber', OPENAI_API_KEY: 'sk-daemon-key', GOPATH: '/go' },
      passNames: () => ['GOPATH'],
    });
    const tools = toolSetOf(await manager.toolsFor({ signal: never }));
    const output = await callTool<{ content: string }>(tools, 'mcp__everything__get-env', {});
    const env = JSON.parse(output.content ?? '{}') as Record<string, string>;
    expect(env).toMatchObject({ GREETING: 'hello from config', GOPATH: '/go', HOME: '/home/viber' });
    expect(env.OPENAI_API_KEY).toBeUndefined();
  });
});

describe('server-everything over Streamable HTTP', () => {
  let http: McpHttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  it('connects with the configured headers and answers a call', async () => {
    http = await startEverythingHttpServer();
    const manager = startMcpManager([{ name: 'remote', url: http.url, headers: { 'X-Team': 'vibers' } }]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'remote')).toMatchObject({ state: 'connected', transport: 'http' });
    const output = await callTool(toolSetOf(listed), 'mcp__remote__get-sum', { a: 2, b: 40 });
    expect(output.content).toContain('42');
    expect(http.requests.length).toBeGreaterThan(2);
    expect(http.requests.every((headers) => headers['x-team'] === 'vibers')).toBe(true);
  });

  it('reports a server that is not there', async () => {
    http = await startEverythingHttpServer();
    const url = http.url;
    await http.close();
    const manager = startMcpManager([{ name: 'remote', url, timeoutMs: 5_000 }]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'remote')).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(
        /^initialize failed: fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/,
      ),
    });
    expect(listed.tools).toEqual([]);
  });
});

describe('server-filesystem over stdio', () => {
  it('reads a file in its allowed folder through the agent tool', async () => {
    const root = makeTempDir('mcp-files');
    writeFileSync(join(root, 'notes.txt'), 'remember the milk\n');
    const manager = startMcpManager([filesystemServer(root)]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'files')?.state).toBe('connected');
    const output = await callTool(toolSetOf(listed), 'mcp__files__read_text_file', {
      path: join(root, 'notes.txt'),
    });
    expect(output.content).toBe('remember the milk\n');
  });
});

describe('servers that misbehave', () => {
  it('fails a server that prints something other than JSON-RPC on stdout, naming it', async () => {
    const manager = startMcpManager([testServer('noisy', 'garbage', { timeoutMs: 20_000 })]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'noisy')).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('it printed something on stdout that is not JSON-RPC'),
    });
    expect(serverOf(listed, 'noisy')?.reason).toContain('"Welcome to"');
  });

  it('gives up on a server that never answers initialize within its timeout', async () => {
    const manager = startMcpManager([testServer('silent', 'hang', { timeoutMs: 500 })]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'silent')).toMatchObject({
      state: 'failed',
      reason: 'it did not answer initialize within 500 ms',
    });
  });

  it('reports a server that exits at once with the end of its stderr', async () => {
    const manager = startMcpManager([testServer('quitter', 'exit')]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'quitter')).toMatchObject({
      state: 'failed',
      reason:
        'the server process exited during initialize — its stderr ends: fatal: the test server has no configuration',
    });
  });

  it('reports a command that does not exist', async () => {
    const manager = startMcpManager([{ name: 'ghost', command: 'openviber-no-such-command' }]);
    const listed = await manager.toolsFor({ signal: never });
    expect(serverOf(listed, 'ghost')?.reason).toMatch(
      /^could not start "openviber-no-such-command": spawn .*ENOENT/,
    );
  });

  it('skips a tool whose input schema is not JSON Schema and keeps the others', async () => {
    const manager = startMcpManager([testServer('tools', 'tools')]);
    const listed = await manager.toolsFor({ signal: never });
    expect(listed.tools.map((entry) => entry.tool.name)).toEqual([
      'mcp__tools__greet',
      'mcp__tools__crash',
      'mcp__tools__wait',
      'mcp__tools__fail',
      'mcp__tools__where',
    ]);
    expect(serverOf(listed, 'tools')?.skippedTools).toEqual([
      {
        name: 'broken-schema',
        reason: 'its inputSchema is not valid JSON Schema: type must be JSONType or JSONType[]: huge',
      },
    ]);
  });

  it('turns an isError result into a tool error', async () => {
    const manager = startMcpManager([testServer('tools', 'tools')]);
    const output = await callTool(
      toolSetOf(await manager.toolsFor({ signal: never })),
      'mcp__tools__fail',
      {},
    );
    expect(output).toEqual({ error: 'tools/fail reported an error: the widget is out of stock' });
  });

  it('tells the model a server died during its call, then restarts the server', async () => {
    const manager = startMcpManager([testServer('tools', 'tools')]);
    const tools = toolSetOf(await manager.toolsFor({ signal: never }));
    const output = await callTool(tools, 'mcp__tools__crash', {});
    expect(output.error).toBe(
      'MCP server "tools" stopped while crash ran (the server process exited — its stderr ends: crash: giving up in the middle of a call); whether the call took effect is unknown. The viber restarts the server; try again shortly.',
    );
    // Reconnected with backoff: the same tools work again.
    await waitFor(() => manager.health()[0]?.state === 'connected', { description: 'the server to be back' });
    expect(await callTool(tools, 'mcp__tools__greet', { name: 'Ada' })).toEqual({ content: 'Hello, Ada!' });
  });

  it('cancels the call on the server when the task stops, and when the call times out', async () => {
    const markers = makeTempDir('mcp-markers');
    const manager = startMcpManager([
      testServer('tools', 'tools', { env: { MCP_TEST_MARKERS: markers }, timeoutMs: 800 }),
    ]);
    const tools = toolSetOf(await manager.toolsFor({ signal: never }));
    const timedOut = await callTool(tools, 'mcp__tools__wait', {});
    expect(timedOut.error).toBe(
      'MCP server "tools" did not answer wait within 800 ms; the call was cancelled, and whether it took effect is unknown',
    );
    await waitFor(() => existsSync(join(markers, 'cancelled')), { description: 'the first cancellation' });

    const call = callTool(tools, 'mcp__tools__wait', {});
    setTimeout(() => tool.controller.abort(new Error('stopped')), 100);
    expect(await call).toEqual({ error: 'mcp__tools__wait was aborted: the task was stopped' });
    await waitFor(() => readFileSync(join(markers, 'cancelled'), 'utf8').trim().split('\n').length === 2, {
      description: 'the second cancellation',
    });
  });

  it('keeps the other servers working when one fails', async () => {
    const manager = startMcpManager([
      testServer('silent', 'hang', { timeoutMs: 300 }),
      testServer('tools', 'tools'),
    ]);
    const listed = await manager.toolsFor({ signal: never });
    const [silent, tools] = listed.servers;
    // Failed, or already starting again: its backoff may come round while the other one starts.
    expect(silent).toMatchObject({ name: 'silent', reason: 'it did not answer initialize within 300 ms' });
    expect(['failed', 'starting']).toContain(silent!.state);
    expect(tools).toMatchObject({ name: 'tools', state: 'connected' });
    expect(await callTool(toolSetOf(listed), 'mcp__tools__greet', { name: 'Bo' })).toEqual({
      content: 'Hello, Bo!',
    });
  });
});

describe('restarts', () => {
  it('answers a call to a server waiting for its retry with why, and when it is tried again', async () => {
    const manager = startMcpManager([testServer('tools', 'tools')], {
      backoff: () => backoff({ baseMs: 60_000 }),
    });
    const tools = toolSetOf(await manager.toolsFor({ signal: never }));
    await callTool(tools, 'mcp__tools__crash', {});
    const retryAt = manager.health()[0]?.retryAt;
    expect(retryAt).toBeDefined();
    expect((await callTool(tools, 'mcp__tools__greet', { name: 'Cy' })).error).toBe(
      `MCP server "tools" is not available: the server process exited — its stderr ends: crash: giving up in the middle of a call. The viber tries it again at ${retryAt}.`,
    );
  });

  it('retries a failing server 5 times on its own, then once more for each task that needs it', async () => {
    const markers = makeTempDir('mcp-markers');
    const manager = startMcpManager([testServer('broken', 'exit', { env: { MCP_TEST_MARKERS: markers } })], {
      backoff: () => backoff({ baseMs: 1, maxMs: 5 }),
    });
    const starts = () => readFileSync(join(markers, 'starts'), 'utf8').trim().split('\n').length;
    await manager.toolsFor({ signal: never });
    await waitFor(() => manager.health()[0]?.state === 'failed' && !manager.health()[0]?.retryAt, {
      description: 'the retries to end',
    });
    expect(starts()).toBe(1 + MCP_MAX_RETRIES);
    const listed = await manager.toolsFor({ signal: never });
    expect(listed.servers[0]?.state).toBe('failed');
    expect(starts()).toBe(2 + MCP_MAX_RETRIES);
  });

  it('serves every task from the one process it started', async () => {
    const markers = makeTempDir('mcp-markers');
    const manager = startMcpManager([testServer('tools', 'tools', { env: { MCP_TEST_MARKERS: markers } })]);
    await manager.toolsFor({ signal: never });
    await manager.toolsFor({ signal: never });
    expect(readdirSync(markers).filter((name) => name.startsWith('pid-'))).toHaveLength(1);
  });

  it("starts a stdio server in its cwd: relative to the workspace, or to the environment's working directory", async () => {
    const workspace = makeTempDir('mcp-workspace');
    mkdirSync(join(workspace, 'sub'));
    const manager = startMcpManager([testServer('tools', 'tools', { cwd: 'sub' })], { workspace });
    const environmentDir = makeTempDir('mcp-env');
    const listed = await manager.toolsFor({
      signal: never,
      environment: {
        environmentId: 'environment_web',
        environmentName: 'web',
        workingDir: environmentDir,
        redactor: createRedactor({}),
        servers: [{ config: testServer('envtools', 'tools') }],
      },
    });
    const tools = toolSetOf(listed);
    expect((await callTool(tools, 'mcp__tools__where', {})).content).toBe(join(workspace, 'sub'));
    expect((await callTool(tools, 'mcp__envtools__where', {})).content).toBe(environmentDir);
  });
});

describe('configuration', () => {
  it('never starts a disabled server, and starts nothing before a task asks', async () => {
    const manager = startMcpManager([
      testServer('off', 'tools', { enabled: false }),
      testServer('lazy', 'tools'),
    ]);
    expect(manager.health().map((server) => [server.name, server.state])).toEqual([
      ['off', 'disabled'],
      ['lazy', 'idle'],
    ]);
    const listed = await manager.toolsFor({ signal: never });
    expect(listed.tools.every((entry) => entry.server === 'lazy')).toBe(true);
    expect(manager.health().map((server) => server.state)).toEqual(['disabled', 'connected']);
  });

  it("stops an environment's servers once a task of it finds them gone", async () => {
    const manager = startMcpManager([]);
    const environment = {
      environmentId: 'environment_web',
      environmentName: 'web',
      workingDir: makeTempDir('mcp-env'),
      redactor: createRedactor({}),
    };
    await manager.toolsFor({
      signal: never,
      environment: { ...environment, servers: [{ config: testServer('envtools', 'tools') }] },
    });
    expect(manager.health().map((server) => server.state)).toEqual(['connected']);
    await manager.toolsFor({ signal: never, environment: { ...environment, servers: [] } });
    expect(manager.health()).toEqual([]);
  });

  it('replaces a server whose configuration changed and drops one removed', async () => {
    const manager = startMcpManager([testServer('a', 'tools'), testServer('b', 'tools')]);
    await manager.checkAll();
    expect(manager.health().map((server) => server.state)).toEqual(['connected', 'connected']);
    manager.set([testServer('a', 'tools', { timeoutMs: 9_000 })]);
    expect(manager.health().map((server) => [server.name, server.state])).toEqual([['a', 'idle']]);
  });

  it("lets an environment's server replace the viber's server of the same name for its tasks", async () => {
    const manager = startMcpManager([
      testServer('tools', 'tools'),
      testServer('other', 'tools', { enabled: false }),
    ]);
    const listed = await manager.toolsFor({
      signal: never,
      environment: {
        environmentId: 'environment_web',
        environmentName: 'web',
        workingDir: makeTempDir('mcp-env'),
        redactor: createRedactor({}),
        servers: [{ config: testServer('tools', 'tools', { env: { FLAVOUR: 'environment' } }) }],
      },
    });
    expect(
      listed.servers.map((server) => [server.name, server.environment?.name ?? 'viber', server.state]),
    ).toEqual([
      ['other', 'viber', 'disabled'],
      ['tools', 'web', 'connected'],
    ]);
    // The viber's own server was not started for this task.
    expect(manager.health().find((server) => !server.environment && server.name === 'tools')?.state).toBe(
      'idle',
    );
  });

  it("gives an environment's servers the environment's name and redacts its secrets from reasons", async () => {
    const manager = startMcpManager([]);
    const listed = await manager.toolsFor({
      signal: never,
      environment: {
        environmentId: 'environment_web',
        environmentName: 'web',
        workingDir: makeTempDir('mcp-env'),
        redactor: createRedactor({ API_TOKEN: 'tok-very-secret-value' }),
        servers: [
          { config: { name: 'docs', command: 'openviber-no-such-tok-very-secret-value' } },
          {
            config: { name: 'later', command: 'true' },
            problem: 'it references secret GONE, which this viber did not receive',
          },
        ],
      },
    });
    expect(listed.servers).toEqual([
      expect.objectContaining({
        name: 'docs',
        environment: { id: 'environment_web', name: 'web' },
        state: 'failed',
        reason: expect.stringContaining('could not start "openviber-no-such-[redacted:API_TOKEN]"'),
      }),
      expect.objectContaining({
        name: 'later',
        state: 'failed',
        reason: expect.stringContaining('secret GONE'),
      }),
    ]);
  });
});
