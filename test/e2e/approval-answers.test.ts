import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, lastMessage, makeFixtureDir, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ScriptTurn } from '../support/openai-script.ts';
import { spawnViber } from '../support/processes.ts';
import { errorOf } from '../support/rest-client.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Hardening issue, item 7: answering an approval the task is not waiting for is refused at once,
// with the reason, over REST (404 unknown id, 409 already answered or task finished) and by
// `viber task approve|deny` (the reason on stderr, exit 1). Real gateway, daemon and CLI; the
// scripted model asks for two tool calls in one turn, in always-ask mode.

useE2eCleanup();

/** Two calls in one turn (so one answered request waits for the other), then the final text. */
const twoCallsThenText = ({ body }: { body: Parameters<typeof lastMessage>[0] }): ScriptTurn =>
  lastMessage(body)?.role === 'tool'
    ? { type: 'text', text: FINAL_TEXT }
    : {
        type: 'tool-calls',
        calls: [
          { id: 'call_a', name: 'list_directory', input: { path: '.' } },
          { id: 'call_b', name: 'read_file', input: { path: 'alpha.txt' } },
        ],
      };

async function viber(gateway: GatewayHandle, args: string[]) {
  const child = spawnViber(args, {
    name: `cli-${args[1] ?? args[0]}`,
    env: {
      OPENVIBER_HOME: makeTempDir('cli'),
      OPENVIBER_GATEWAY_URL: gateway.url,
      OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
    },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

describe('answering tool approvals', () => {
  it('accepts an answer only for a request that is waiting, and says why otherwise', async () => {
    const model = await startModelServer({ script: twoCallsThenText });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'approver' });
    const task = await gateway.rest.createTask({
      goal: 'look around',
      viberId: daemon.viberId,
      options: { mode: 'always-ask', cwd: makeFixtureDir() },
    });
    const stream = await gateway.follow(task.id);
    const requests = await waitFor(
      () => {
        const asked = stream.chunks.filter((chunk) => chunk.type === 'tool-approval-request');
        return asked.length === 2 ? asked.map((chunk) => chunk.approvalId) : undefined;
      },
      { description: 'two approval requests' },
    );
    const [first, second] = requests as [string, string];
    const approve = (approvalId: string, body: unknown = { approved: true }) =>
      gateway.rest.request('POST', `/api/tasks/${task.id}/approvals/${approvalId}`, { body });

    const unknown = await approve('appr_never_asked');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown)).toEqual({
      code: 'not_found',
      message: `approval appr_never_asked not found: task ${task.id} has not asked for it`,
    });
    const cliUnknown = await viber(gateway, ['task', 'approve', task.id, 'appr_never_asked']);
    expect(cliUnknown.code).toBe(1);
    expect(cliUnknown.stderr).toContain(`gateway answered 404: approval appr_never_asked not found`);

    const approved = await viber(gateway, ['task', 'approve', task.id, first]);
    expect(approved).toMatchObject({ code: 0, stdout: `approved ${first}\n` });
    // The agent streams its answers only once both are in: the gateway itself remembers this one.
    const again = await approve(first, { approved: false });
    expect(again.status).toBe(409);
    expect(errorOf(again)).toEqual({
      code: 'conflict',
      message: `approval ${first} of task ${task.id} was already answered (approved)`,
    });
    const cliAgain = await viber(gateway, ['task', 'deny', task.id, first, '--reason', 'changed my mind']);
    expect(cliAgain.code).toBe(1);
    expect(cliAgain.stderr).toContain(
      `gateway answered 409: approval ${first} of task ${task.id} was already answered (approved) (conflict)`,
    );

    // Two answers to the same waiting request at once: exactly one is accepted.
    const racing = await Promise.all([
      approve(second, { approved: false }),
      approve(second, { approved: false }),
    ]);
    expect(racing.map((response) => response.status).sort()).toEqual([202, 409]);

    await waitForTaskStatus(gateway.rest, task.id, 'completed');
    // From the durable stream now (the agent's tool-approval-response chunks).
    const afterwards = await approve(second);
    expect(afterwards.status).toBe(409);
    expect(errorOf(afterwards)?.code).toBe('task_finished');
    expect(stream.chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-approval-response', approvalId: first, approved: true }),
    );
    expect(stream.chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-approval-response', approvalId: second, approved: false }),
    );
    expect(daemon.process.stderr).not.toMatch(/no approval .* is waiting/);
  });
});
