import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, ErrorCode, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairOperator } from '../../../test/support/in-process/device-clients.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import {
  callTool as call,
  connectMcp,
  MCP_INITIALIZE as INITIALIZE,
  postMcp,
} from '../../../test/support/mcp-client.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { GATEWAY_MCP_TOOL_NAMES } from '../../protocol/index.ts';

// The HTTP side of the gateway's /mcp: who may call it (bearer tokens, the operator role, each
// tool's scope), the Origin check, bad JSON-RPC, and closing the gateway with a call running. The
// tools themselves are gateway-tools.test.ts.

let harness: TestGateway;
let viber: { id: string; token: string };
const clients: Client[] = [];

async function connect(token: string | null = TEST_OPERATOR_TOKEN, headers: Record<string, string> = {}) {
  const client = await connectMcp(harness.gateway.url, token, headers);
  clients.push(client);
  return client;
}

const mcpUrl = () => new URL(`${harness.gateway.url}/mcp`);
const post = (body: string, headers: Record<string, string> = {}) =>
  postMcp(harness.gateway.url, TEST_OPERATOR_TOKEN, body, headers);

beforeAll(async () => {
  harness = await TestGateway.start({ corsOrigins: ['https://board.example'] });
  viber = await harness.gateway.registerViber('laptop');
});

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await harness?.cleanup();
});

describe('bad input over HTTP', () => {
  it('answers malformed JSON-RPC with the JSON-RPC error, over HTTP', async () => {
    const notJson = await post('{"jsonrpc": "2.0",');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: ErrorCode.ParseError, message: expect.stringMatching(/^Parse error: /) },
    });
    const notRpc = await post(JSON.stringify({ jsonrpc: '1.0', id: 7, method: 'ping' }));
    expect(notRpc.status).toBe(400);
    expect(JSON.parse(notRpc.text)).toMatchObject({
      id: 7,
      error: { code: ErrorCode.InvalidRequest, data: { code: 'bad_request' } },
    });
    expect(JSON.parse((await post('[]')).text).error.code).toBe(ErrorCode.InvalidRequest);
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(JSON.parse((await post(deep)).text).error.message).toMatch(/nests deeper than 64 levels/);
    const big = await post(
      JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { a: 'x'.repeat(300_000) } }),
    );
    expect(big.status).toBe(413);
    const noAccept = await post(INITIALIZE, { accept: 'application/json' });
    expect(noAccept.status).toBe(406);
    expect((await post(INITIALIZE, { 'content-type': 'text/plain' })).status).toBe(415);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
    expect((await post(ping, { 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
    expect((await post(ping, { 'mcp-protocol-version': '2025-06-18' })).status).toBe(200);
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(mcpUrl(), {
        method,
        headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, accept: 'text/event-stream' },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
    const fine = await post(INITIALIZE);
    expect(fine.status).toBe(200);
    expect(fine.text).toContain('"protocolVersion":"2025-06-18"');
    expect((await fetch(`${harness.gateway.url}/health`)).status).toBe(200);
  });
});

describe('closing the gateway', () => {
  it('answers a wait still running at once, saying the gateway is closing', async () => {
    const other = await TestGateway.start();
    try {
      const registered = await other.gateway.registerViber('idle');
      const task = await other.api('POST', '/api/tasks', { goal: 'never taken', viberId: registered.id });
      const client = await connectMcp(other.gateway.url, TEST_OPERATOR_TOKEN);
      const progress: Progress[] = [];
      const waiting = client.request(
        {
          method: 'tools/call',
          params: { name: 'wait_for_task', arguments: { taskId: task.json.id, timeoutSeconds: 600 } },
        },
        CallToolResultSchema,
        { onprogress: (update) => progress.push(update) },
      );
      await waitFor(() => progress.length === 1);
      await other.gateway.close();
      const answer = await waiting;
      expect(answer.structuredContent).toMatchObject({ outcome: 'timeout', task: { status: 'pending' } });
      expect((answer.content as { text: string }[])[0]?.text).toContain(
        'Still pending, but the gateway is closing: call wait_for_task again once it is back.',
      );
      await client.close();
    } finally {
      await other.cleanup();
    }
  });
});

describe('who may call /mcp', () => {
  it('refuses a caller without a valid bearer token with 401, the board cookie included', async () => {
    await expect(connect(null)).rejects.toMatchObject({ code: 401 });
    await expect(connect('ovo_not-a-real-token-0123456789')).rejects.toMatchObject({ code: 401 });
    const minted = await harness.api('POST', '/api/login-codes');
    const session = await fetch(`${harness.gateway.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: minted.json.code }),
    });
    const cookie = session.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect((await fetch(`${harness.gateway.url}/api/tasks`, { headers: { cookie } })).status).toBe(200);
    const withCookie = await fetch(mcpUrl(), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: INITIALIZE,
    });
    expect(withCookie.status).toBe(401);
    expect(withCookie.headers.get('www-authenticate')).toBe('Bearer');
    expect(await withCookie.json()).toMatchObject({
      error: { code: -32000, data: { code: 'unauthorized' } },
    });
  });

  it("refuses a viber's token: it is not an operator", async () => {
    await expect(connect(viber.token)).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining('a viber (node) token cannot call operator routes'),
    });
  });

  it('takes each tool’s scope from its REST route: 403 without it', async () => {
    const reader = await pairOperator(harness, ['tasks.read']);
    const client = await connect(reader.token);
    expect((await client.listTools()).tools).toHaveLength(GATEWAY_MCP_TOOL_NAMES.length);
    expect((await call(client, 'list_vibers', {})).data.vibers).toHaveLength(1);
    await expect(client.callTool({ name: 'create_task', arguments: { goal: 'x' } })).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining('create_task: this device lacks the scope tasks.write'),
    });
    await expect(
      client.callTool({
        name: 'answer_approval',
        arguments: { taskId: 't', approvalId: 'a', approved: true },
      }),
    ).rejects.toMatchObject({ code: 403, message: expect.stringContaining('the scope approvals') });
    const refused = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'x1',
        method: 'tools/call',
        params: { name: 'stop_task', arguments: {} },
      }),
      { authorization: `Bearer ${reader.token}`, 'mcp-protocol-version': '2025-06-18' },
    );
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="tasks.write"',
    );
    expect(JSON.parse(refused.text)).toMatchObject({
      id: 'x1',
      error: { code: -32000, data: { code: 'forbidden' } },
    });

    const approver = await pairOperator(harness, ['approvals']);
    const answering = await connect(approver.token);
    const answer = await call(answering, 'answer_approval', {
      taskId: 'task_nope',
      approvalId: 'a',
      approved: true,
    });
    expect(answer).toMatchObject({ isError: true, text: 'not_found: task task_nope not found' });
    // Keys are per device: another device's call with the same key and arguments starts its own task.
    const writer = await pairOperator(harness, ['tasks.write']);
    const writing = await connect(writer.token);
    const args = { goal: 'keyed', viberId: viber.id, idempotencyKey: 'shared-key' };
    const mine = await call(await connect(), 'create_task', args);
    const theirs = await call(writing, 'create_task', args);
    expect(theirs.data.replayed).toBe(false);
    expect(theirs.data.task.id).not.toBe(mine.data.task.id);
    await reader.connection.close();
    await approver.connection.close();
    await writer.connection.close();
  });
});

describe('the Origin check (DNS rebinding)', () => {
  const withOrigin = (origin: string, host?: string) =>
    post(INITIALIZE, { origin, ...(host ? { host } : {}) });

  it('accepts no Origin, the gateway’s own IP origin and its CORS origins', async () => {
    expect((await post(INITIALIZE)).status).toBe(200);
    expect((await withOrigin(harness.gateway.url)).status).toBe(200);
    const port = harness.gateway.port;
    expect((await withOrigin(`http://localhost:${port}`, `localhost:${port}`)).status).toBe(200);
    const cors = await withOrigin('https://board.example');
    expect(cors.status).toBe(200);
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://board.example');
    const preflight = await fetch(mcpUrl(), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://board.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Mcp-Protocol-Version');
  });

  it('refuses any other origin with 403, a rebound DNS name included', async () => {
    for (const [origin, host] of [
      ['http://evil.example.com', undefined],
      ['http://evil.example.com', 'evil.example.com'],
      ['null', undefined],
      [`http://127.0.0.1:${harness.gateway.port + 1}`, undefined],
    ] as const) {
      const refused = await withOrigin(origin, host);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.text)).toMatchObject({
        error: {
          code: -32000,
          message: expect.stringMatching(/^Forbidden: origin /),
          data: { code: 'forbidden' },
        },
      });
    }
  });
});
