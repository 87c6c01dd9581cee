import { describe, expect, it } from 'vitest';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, makeFixtureDir, TOOL_INPUT, TOOL_NAME, toolThenText } from '../support/e2e-fixtures.ts';
import { callTool, connectMcp } from '../support/mcp-client.ts';
import { restartGateway, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// What a coding assistant does with OpenViber's MCP server (docs/mcp.md), over the SDK's own
// client: a real gateway process, a real daemon, the agent on the scripted OpenAI-compatible
// model, in always-ask mode so the tool call waits for the assistant's approval.

useE2eCleanup();

describe('the gateway as an MCP server, with a real daemon', () => {
  it('lists vibers, creates a task, survives a gateway restart, answers the approval, waits, follows and reads the report', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'mcp-viber' });
    const client = await connectMcp(gateway.url, gateway.operatorToken);
    onCleanup(() => client.close());
    const call = async (name: string, args: Record<string, unknown>) => {
      const answer = await callTool(client, name, args);
      expect(answer.isError).toBe(false);
      return answer;
    };

    const listed = await call('list_vibers', {});
    expect(listed.data.vibers).toMatchObject([{ id: daemon.viberId, name: 'mcp-viber', presence: 'online' }]);

    const created = await call('create_task', {
      goal: 'list the files here',
      viberId: daemon.viberId,
      mode: 'always-ask',
      cwd: makeFixtureDir(),
      idempotencyKey: 'assistant-1',
    });
    const taskId: string = created.data.task.id;

    // /mcp keeps no session: the same client carries on across a gateway killed and started again.
    await gateway.process.kill('SIGKILL');
    await restartGateway(gateway);

    const asked = await call('wait_for_task', { taskId, timeoutSeconds: 120 });
    expect(asked.data).toMatchObject({
      outcome: 'awaiting-approval',
      pendingApprovals: [{ toolName: TOOL_NAME, input: TOOL_INPUT }],
    });
    const [approval] = asked.data.pendingApprovals;
    await call('answer_approval', { taskId, approvalId: approval.approvalId, approved: true });

    const done = await call('wait_for_task', { taskId, timeoutSeconds: 120 });
    expect(done.data).toMatchObject({
      outcome: 'finished',
      answer: FINAL_TEXT,
      task: { status: 'completed' },
    });
    expect(done.text).toContain(`Answer:\n${FINAL_TEXT}`);

    const followed = await call('follow_task', { taskId, maxEvents: 1000 });
    expect(followed.data).toMatchObject({ ended: true, more: false, status: 'completed' });
    expect(followed.data.text).toContain(`[tool ${TOOL_NAME}: ${JSON.stringify(TOOL_INPUT)}]`);
    expect(followed.data.text).toContain(`[approval ${approval.approvalId} approved]`);
    expect(followed.data.text).toContain(FINAL_TEXT);
    expect(followed.data.text).toMatch(/\[task completed\]\n$/);

    const report = await call('get_report', { taskId });
    expect(report.data).toMatchObject({ taskId, status: 'completed', version: 1 });
    expect(report.text).toContain(`Report of task ${taskId} (completed)`);
  });
});
