import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UIMessageChunk } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../test/support/in-process/agent-test.ts';
import { useTempHome } from '../../test/support/in-process/temp-home.ts';
import { type OpenAITestServer, startOpenAITestServer } from '../../test/support/openai-test-server.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { AgentEnvironment } from './agent-task.ts';
import { createAgentTask } from './create-agent-task.ts';
import { createLanguageModel } from './providers.ts';
import { startAgentTask } from './start-agent-task.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG } from './tools/index.ts';

const temp = useTempHome('agent');
let server: OpenAITestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function environment(baseURL: string): AgentEnvironment {
  return {
    home: temp.home,
    config: {},
    env: { OPENVIBER_MODEL: 'custom/test-model', OPENVIBER_BASE_URL: baseURL, PATH: process.env.PATH },
    logger: silentLogger,
  };
}

describe('startAgentTask through the real OpenAI-compatible provider', () => {
  it('streams a tool call and the final answer from a chat completions server', async () => {
    server = await startOpenAITestServer({
      script: [
        {
          type: 'tool-calls',
          text: 'Let me look.',
          calls: [{ id: 'call_list', name: 'list_directory', input: { path: '.' } }],
        },
        { type: 'text', text: 'The folder holds notes.txt.' },
      ],
    });
    const cwd = join(temp.home.workspace, 'project');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'notes.txt'), 'hello');
    const chunks: UIMessageChunk[] = [];
    const task = startAgentTask(
      { taskId: 'task_real-1', goal: 'What is in the folder?', options: { cwd } },
      { onChunk: (chunk) => chunks.push(chunk), onProgress: () => {} },
      environment(server.baseURL),
    );
    const outcome = await task.done;
    expect(outcome.status).toBe('completed');
    expect(outcome.status === 'completed' && outcome.result.text).toBe('The folder holds notes.txt.');
    expect(outcome.status === 'completed' && outcome.result.usage?.totalTokens).toBeGreaterThan(0);
    const result = chunks.find((chunk) => chunk.type === 'tool-output-available');
    expect(JSON.stringify(result)).toContain('notes.txt');
    // The second request carries the tool result back to the model.
    const second = server.requests[1]!.body.messages;
    expect(second.some((message) => message.role === 'tool' && message.tool_call_id === 'call_list')).toBe(
      true,
    );
    expect(server.requests[0]!.body.tools?.map((entry) => entry.function.name)).toContain('shell');
  });

  it('asks for approval and runs the approved call in the continuation', async () => {
    server = await startOpenAITestServer({
      script: [
        {
          type: 'tool-calls',
          calls: [{ id: 'call_write', name: 'write_file', input: { path: 'out.txt', content: 'hi' } }],
        },
        { type: 'text', text: 'Wrote out.txt.' },
      ],
    });
    const chunks: UIMessageChunk[] = [];
    const task = startAgentTask(
      { taskId: 'task_real-4', goal: 'Write out.txt', options: { mode: 'agent-decides' } },
      { onChunk: (chunk) => chunks.push(chunk), onProgress: () => {} },
      environment(server.baseURL),
    );
    await waitFor(() => chunks.some((chunk) => chunk.type === 'tool-approval-request'), {
      description: 'the approval request',
    });
    const request = chunks.find((chunk) => chunk.type === 'tool-approval-request');
    expect(request?.type === 'tool-approval-request' && task.answerApproval(request.approvalId, true)).toBe(
      true,
    );
    const outcome = await task.done;
    expect(outcome.status === 'completed' && outcome.result.text).toBe('Wrote out.txt.');
    expect(readFileSync(join(temp.home.workspace, 'task_real-4', 'out.txt'), 'utf8')).toBe('hi');
    const second = server.requests[1]!.body.messages;
    expect(second.find((message) => message.role === 'tool')?.tool_call_id).toBe('call_write');
  });

  it('redacts every credential the viber knows of from tool output, as a backstop', async () => {
    // A file in the workspace happens to hold the daemon's token (known only in its memory), the
    // search key and the operator token: reading it must not hand them to the model.
    const token = 'ovv_in-memory-viber-token-1234';
    const searchKey = 'search-key-from-daemon-env';
    const operator = 'ovo_operator-token-from-file';
    mkdirSync(temp.home.gateway, { recursive: true });
    writeFileSync(join(temp.home.gateway, 'operator-token'), `${operator}\n`);
    server = await startOpenAITestServer({
      script: [
        { type: 'tool-calls', calls: [{ id: 'call_read', name: 'read_file', input: { path: 'leak.txt' } }] },
        { type: 'text', text: 'Read it.' },
      ],
    });
    const cwd = join(temp.home.workspace, 'leaky');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'leak.txt'), `${token}\n${searchKey}\n${operator}\n`);
    const chunks: UIMessageChunk[] = [];
    const base = environment(server.baseURL);
    const task = startAgentTask(
      { taskId: 'task_real-5', goal: 'Read leak.txt', options: { cwd, mode: 'always-execute' } },
      { onChunk: (chunk) => chunks.push(chunk), onProgress: () => {} },
      {
        ...base,
        env: { ...base.env, OPENVIBER_SEARCH_API_KEY: searchKey },
        knownSecrets: { 'viber token': token },
      },
    );
    expect((await task.done).status).toBe('completed');
    const seen = `${JSON.stringify(server.requests[1]!.body)}${JSON.stringify(chunks)}`;
    for (const value of [token, searchKey, operator]) expect(seen).not.toContain(value);
    expect(seen).toContain('[redacted:viber token]');
    expect(seen).toContain('[redacted:OPENVIBER_SEARCH_API_KEY]');
    expect(seen).toContain('[redacted:operator token]');
  });

  it('ends in error with the HTTP status when the server fails', async () => {
    server = await startOpenAITestServer({ script: [{ type: 'error', status: 500, message: 'boom' }] });
    const task = createAgentTask(
      { taskId: 'task_real-2', goal: 'x', options: {} },
      { onChunk: () => {}, onProgress: () => {} },
      environment(server.baseURL),
      {
        createModel: createLanguageModel,
        createTools: createToolSet,
        catalog: TOOL_CATALOG,
        describeToolCall,
        maxRetries: 0,
      },
    );
    const outcome = await task.done;
    expect(outcome.status).toBe('error');
    expect(outcome.status === 'error' && outcome.error).toMatch(/HTTP 500 .*boom/);
  });

  it('ends in error when nothing listens at the base URL', async () => {
    server = await startOpenAITestServer();
    const baseURL = server.baseURL;
    await server.close();
    server = undefined;
    const task = createAgentTask(
      { taskId: 'task_real-3', goal: 'x', options: {} },
      { onChunk: () => {}, onProgress: () => {} },
      environment(baseURL),
      {
        createModel: createLanguageModel,
        createTools: createToolSet,
        catalog: TOOL_CATALOG,
        describeToolCall,
        maxRetries: 0,
      },
    );
    const outcome = await task.done;
    expect(outcome.status).toBe('error');
    expect(outcome.status === 'error' && outcome.error).toMatch(/unreachable.*ECONNREFUSED/);
  });
});
