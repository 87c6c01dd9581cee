import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgentTest } from '../../test/support/in-process/agent-test.ts';
import { promptText, scriptedModel, textTurn, toolTurn } from '../../test/support/scripted-model.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { ConfigFile } from '../core/config.ts';
import type { TaskReport } from './report.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG } from './tools/index.ts';

/** The real built-in tools, driven by scripted mock models. */
const agent = useAgentTest();

const realTools = { tools: createToolSet, catalog: TOOL_CATALOG, dependencies: { describeToolCall } };
const alwaysExecute: ConfigFile = { agent: { mode: 'always-execute' } };

describe('a task with the real tools', () => {
  it('lists, edits and runs files, and ends with a report whose claims point at the proving calls', async () => {
    const cwd = join(agent.home.root, 'project');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'app.js'), "console.log('hello world');\n");
    const model = scriptedModel([
      toolTurn([
        {
          id: 'call-plan',
          name: 'plan',
          input: { steps: [{ id: '1', title: 'Change the greeting', status: 'in_progress' }] },
        },
      ]),
      toolTurn([{ id: 'call-list', name: 'list_directory', input: {} }]),
      toolTurn([
        {
          id: 'call-edit',
          name: 'edit_file',
          input: { path: 'app.js', oldText: 'hello world', newText: 'hello viber' },
        },
      ]),
      toolTurn([{ id: 'call-run', name: 'shell', input: { command: 'node app.js' } }]),
      toolTurn([
        {
          id: 'call-report',
          name: 'report',
          input: {
            summary: 'app.js now greets the viber.',
            claims: [
              { text: 'app.js was changed to print "hello viber"', evidence: ['call-edit'] },
              { text: 'running app.js prints "hello viber"', evidence: ['call-run'] },
              { text: 'the change is deployed', evidence: [] },
            ],
          },
        },
      ]),
      textTurn('Done: app.js prints hello viber. Deployment is unverified.'),
    ]);
    const h = agent.start({
      model,
      ...realTools,
      config: alwaysExecute,
      request: { options: { cwd } },
    });
    const outcome = await h.task.done;
    expect(outcome.status).toBe('completed');
    expect(readFileSync(join(cwd, 'app.js'), 'utf8')).toContain('hello viber');

    const report = JSON.parse(
      readFileSync(join(agent.home.workspace, 'task_test-1', 'report.json'), 'utf8'),
    ) as TaskReport;
    const [edited, ran, deployed] = report.claims;
    expect(edited).toMatchObject({ status: 'verified', citations: ['call-edit'] });
    expect(edited!.evidence).toContainEqual(
      expect.objectContaining({
        kind: 'file',
        toolCallId: 'call-edit',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    );
    expect(ran).toMatchObject({ status: 'verified' });
    expect(ran!.evidence).toContainEqual(
      expect.objectContaining({
        kind: 'tool-call',
        toolCallId: 'call-run',
        ok: true,
        outputExcerpt: expect.stringContaining('hello viber'),
      }),
    );
    expect(deployed).toMatchObject({ status: 'unverified', note: 'cites no evidence' });
    expect(report.evidence.map((item) => item.toolCallId)).toEqual(
      expect.arrayContaining(['call-list', 'call-edit', 'call-run']),
    );
    expect(h.chunks.filter((chunk) => chunk.type === 'data-report')).toHaveLength(1);
    // The plan tool's data part is streamed while its call runs, between the call and its output.
    const types = h.chunks.map((chunk) => chunk.type);
    const plan = types.indexOf('data-plan');
    expect(plan).toBeGreaterThan(types.indexOf('tool-input-available'));
    expect(plan).toBeLessThan(types.indexOf('tool-output-available'));
  });

  it('stop kills a running sleep and the task ends as stopped', async () => {
    const marker = `sleep ${4000 + Math.floor(Math.random() * 1000)}`;
    const model = scriptedModel([
      toolTurn([{ id: 'call-sleep', name: 'shell', input: { command: marker } }]),
    ]);
    const h = agent.start({ model, ...realTools, config: alwaysExecute });
    await waitFor(() => processes().includes(marker), { description: 'the sleep to start' });
    h.task.stop('operator stop');
    expect(await h.task.done).toEqual({ status: 'stopped', reason: 'operator stop' });
    await waitFor(() => !processes().includes(marker), { description: 'the sleep to be killed' });
  });

  it('memory written by one task is in the next task’s system prompt, with the persona', async () => {
    const first = agent.start({
      model: scriptedModel([
        toolTurn([
          {
            id: 'call-remember',
            name: 'remember',
            input: { kind: 'rule', text: 'Always run the linter first.' },
          },
        ]),
        textTurn('Noted.'),
      ]),
      ...realTools,
      config: alwaysExecute,
    });
    expect((await first.task.done).status).toBe('completed');
    mkdirSync(agent.home.config, { recursive: true });
    writeFileSync(join(agent.home.config, 'persona.md'), 'Terse and precise.');
    const model = scriptedModel([textTurn('ok')]);
    const second = agent.start({
      model,
      ...realTools,
      request: { taskId: 'task_test-2' },
    });
    expect((await second.task.done).status).toBe('completed');
    const system = promptText(model.doStreamCalls[0]!);
    expect(system).toContain('Always run the linter first.');
    expect(system).toContain('Terse and precise.');
    expect(system).toContain('shell (execute)');
  });
});

function processes(): string {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
}
