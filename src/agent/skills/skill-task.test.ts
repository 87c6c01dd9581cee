import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UIMessageChunk } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../test/support/in-process/agent-test.ts';
import { useTempHome } from '../../../test/support/in-process/temp-home.ts';
import {
  type OpenAITestServer,
  type RecordedRequest,
  startOpenAITestServer,
} from '../../../test/support/openai-test-server.ts';
import { writeSkill } from '../../../test/support/skills.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { skillsDir } from '../../core/home.ts';
import { createRedactor } from '../../core/redaction.ts';
import type { AgentEnvironment } from '../agent-task.ts';
import { createAgentTask } from '../create-agent-task.ts';
import { createLanguageModel } from '../providers.ts';
import { startAgentTask } from '../start-agent-task.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG } from '../tools/index.ts';

// A task with skills, end to end through the real OpenAI-compatible provider: the prompt lists
// the available skills, the model activates one and runs its script with the shell tool, under
// the task's autonomy mode.

const temp = useTempHome('skill-task');
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

/** A home skill whose script leaves a mark in the working directory and prints a line. */
function installGreeter(): string {
  writeSkill(skillsDir(temp.home), 'needs-a-tool', {
    frontmatter: 'metadata:\n  requires-bins: a-program-nobody-has',
  });
  return writeSkill(skillsDir(temp.home), 'greeter', {
    description: 'Greets the operator. Use when asked to say hello.',
    body: '# Greeter\n\nRun `bash scripts/hello.sh` from the working directory.',
    files: { 'scripts/hello.sh': 'echo "hello from the skill" > greeted.txt\necho "greeted"\n' },
  });
}

function script(directory: string) {
  return (request: RecordedRequest) => {
    const results = request.body.messages.filter((message) => message.role === 'tool').length;
    if (results === 0)
      return {
        type: 'tool-calls' as const,
        calls: [{ id: 'call_activate', name: 'activate_skill', input: { name: 'greeter' } }],
      };
    if (results === 1)
      return {
        type: 'tool-calls' as const,
        calls: [
          { id: 'call_script', name: 'shell', input: { command: `bash ${directory}/scripts/hello.sh` } },
        ],
      };
    return { type: 'text' as const, text: 'Said hello.' };
  };
}

const systemOf = (request: RecordedRequest | undefined) => JSON.stringify(request?.body.messages[0]?.content);
const toolResult = (request: RecordedRequest | undefined, id: string) =>
  JSON.stringify(
    request?.body.messages.find((message) => message.role === 'tool' && message.tool_call_id === id),
  );

describe('a task with skills', () => {
  it('lists only the available skills, activates one and runs its script (always-execute)', async () => {
    const directory = installGreeter();
    server = await startOpenAITestServer({ script: script(directory) });
    const cwd = join(temp.home.workspace, 'project');
    mkdirSync(cwd, { recursive: true });
    const chunks: UIMessageChunk[] = [];
    const task = startAgentTask(
      { taskId: 'task_skill-1', goal: 'Say hello', options: { cwd, mode: 'always-execute' } },
      { onChunk: (chunk) => chunks.push(chunk), onProgress: () => {} },
      environment(server.baseURL),
    );
    const outcome = await task.done;
    expect(outcome.status === 'completed' && outcome.result.text).toBe('Said hello.');

    // Tier 1: names, descriptions and locations only; the unavailable skill is not offered.
    const system = systemOf(server.requests[0]);
    expect(system).toContain('<name>greeter</name>');
    expect(system).toContain('<description>Greets the operator. Use when asked to say hello.</description>');
    expect(system).toContain(`<location>${join(directory, 'SKILL.md')}</location>`);
    expect(system).toContain('<name>write-report</name>'); // bundled
    expect(system).not.toContain('needs-a-tool');
    expect(system).not.toContain('Run `bash scripts/hello.sh`');
    const activate = server.requests[0]?.body.tools?.find((tool) => tool.function.name === 'activate_skill');
    expect(JSON.stringify(activate?.function.parameters)).toContain(
      '"enum":["greeter","git-commit-message","write-report"]',
    );

    // Tier 2: the instructions and the files, in the tool result.
    const activation = toolResult(server.requests[1], 'call_activate');
    expect(activation).toContain('Run `bash scripts/hello.sh` from the working directory.');
    expect(activation).toContain('scripts/hello.sh');
    expect(activation).toContain(directory);

    // The script ran through the shell tool, in the task's working directory.
    expect(toolResult(server.requests[2], 'call_script')).toContain('greeted');
    expect(readFileSync(join(cwd, 'greeted.txt'), 'utf8')).toBe('hello from the skill\n');
  });

  it("runs activate_skill at once in agent-decides mode, but the skill's script waits for approval", async () => {
    const directory = installGreeter();
    server = await startOpenAITestServer({ script: script(directory) });
    const cwd = join(temp.home.workspace, 'approvals');
    mkdirSync(cwd, { recursive: true });
    const chunks: UIMessageChunk[] = [];
    const task = startAgentTask(
      { taskId: 'task_skill-2', goal: 'Say hello', options: { cwd, mode: 'agent-decides' } },
      { onChunk: (chunk) => chunks.push(chunk), onProgress: () => {} },
      environment(server.baseURL),
    );
    await waitFor(() => chunks.some((chunk) => chunk.type === 'tool-approval-request'), {
      description: 'the approval request for the script',
    });
    const requests = chunks.filter((chunk) => chunk.type === 'tool-approval-request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ toolCallId: 'call_script' });
    // The activation ran without asking; the script has not run.
    expect(
      chunks.some((chunk) => chunk.type === 'tool-output-available' && chunk.toolCallId === 'call_activate'),
    ).toBe(true);
    expect(existsSync(join(cwd, 'greeted.txt'))).toBe(false);
    const request = requests[0]!;
    expect(request.type === 'tool-approval-request' && task.answerApproval(request.approvalId, true)).toBe(
      true,
    );
    const outcome = await task.done;
    expect(outcome.status).toBe('completed');
    expect(readFileSync(join(cwd, 'greeted.txt'), 'utf8')).toBe('hello from the skill\n');
  });

  it("offers a skill whose requires-env is met by the task's environment, not by the daemon's own variables", async () => {
    writeSkill(skillsDir(temp.home), 'deployer', { frontmatter: 'metadata:\n  requires-env: DEPLOY_TOKEN' });
    server = await startOpenAITestServer({
      script: [
        { type: 'text', text: 'ok' },
        { type: 'text', text: 'ok' },
      ],
    });
    const base = environment(server.baseURL);
    const daemonOnly = startAgentTask(
      { taskId: 'task_skill-4', goal: 'Deploy', options: {} },
      { onChunk: () => {}, onProgress: () => {} },
      { ...base, env: { ...base.env, DEPLOY_TOKEN: 'in-the-daemon-only' } },
    );
    expect((await daemonOnly.done).status).toBe('completed');
    expect(systemOf(server.requests[0])).not.toContain('<name>deployer</name>');
    const inEnvironment = startAgentTask(
      { taskId: 'task_skill-5', goal: 'Deploy', options: {} },
      { onChunk: () => {}, onProgress: () => {} },
      {
        ...base,
        execution: { env: { DEPLOY_TOKEN: 'a-secret' }, redactor: createRedactor({}), networkAccess: true },
      },
    );
    expect((await inEnvironment.done).status).toBe('completed');
    expect(systemOf(server.requests[1])).toContain('<name>deployer</name>');
  });

  it('has no Skills section and no activate_skill when no skill is available', async () => {
    writeSkill(skillsDir(temp.home), 'needs-a-tool', {
      frontmatter: 'metadata:\n  requires-bins: a-program-nobody-has',
    });
    server = await startOpenAITestServer({ script: [{ type: 'text', text: 'ok' }] });
    const task = createAgentTask(
      { taskId: 'task_skill-6', goal: 'x', options: {} },
      { onChunk: () => {}, onProgress: () => {} },
      environment(server.baseURL),
      {
        createModel: createLanguageModel,
        createTools: createToolSet,
        catalog: TOOL_CATALOG,
        describeToolCall,
      },
    );
    expect((await task.done).status).toBe('completed');
    expect(systemOf(server.requests[0])).not.toContain('# Skills');
    expect(server.requests[0]?.body.tools?.map((tool) => tool.function.name)).not.toContain('activate_skill');
  });

  it("takes a project's skills from the working directory, before the bundled ones", async () => {
    const cwd = join(temp.home.workspace, 'repo');
    writeSkill(join(cwd, '.agents', 'skills'), 'write-report', {
      description: "The project's own report rules.",
    });
    server = await startOpenAITestServer({ script: [{ type: 'text', text: 'ok' }] });
    const task = startAgentTask(
      { taskId: 'task_skill-3', goal: 'Report', options: { cwd } },
      { onChunk: () => {}, onProgress: () => {} },
      environment(server.baseURL),
    );
    expect((await task.done).status).toBe('completed');
    const system = systemOf(server.requests[0]);
    expect(system).toContain("<description>The project's own report rules.</description>");
    expect(system).not.toContain('evidence-linked report of work done');
  });
});
