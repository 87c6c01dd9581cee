import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { spawnViber } from '../../../test/support/processes.ts';
import { makeTempDir } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { Evidence, TaskReport } from '../../protocol/index.ts';

// `viber task report` names each screenshot's artifact path on the viber and its gateway URL,
// and lists every piece of evidence the board shows (issue 16, item 7), stated claims or not.

const shot: Evidence = {
  kind: 'file',
  toolCallId: 'call_shot',
  path: '/home/v/workspace/t/artifacts/screenshot-call_shot.png',
  sha256: 'ab'.repeat(32),
  bytes: 100,
  mediaType: 'image/png',
  action: 'browser_screenshot of http://127.0.0.1/order',
};

const check: Evidence = {
  kind: 'tool-call',
  toolCallId: 'call_ls',
  tool: 'shell',
  input: 'ls artifacts',
  outputExcerpt: 'screenshot-call_shot.png\n',
  ok: true,
};

describe('viber task report', () => {
  let harness: TestGateway;
  let daemon: FakeDaemon;
  let taskId: string;

  beforeEach(async () => {
    harness = await TestGateway.start();
    const viber = await harness.gateway.registerViber('v');
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    taskId = (await harness.api('POST', '/api/tasks', { goal: 'look' })).json.id;
    await daemon.startTask(taskId);
    const report: TaskReport = {
      version: 1,
      taskId,
      status: 'completed',
      createdAt: '2026-11-21T12:00:00.000Z',
      summary: 'The order went through.',
      statedByAgent: true,
      claims: [
        {
          id: 'claim-1',
          text: 'the order is confirmed',
          status: 'verified',
          citations: ['call_shot'],
          evidence: [shot],
        },
      ],
      counts: { claims: 1, verified: 1, unverified: 0, evidence: 2 },
      evidence: [shot, check],
    };
    daemon.send({ type: 'task:stream-chunk', taskId, seq: 2, chunk: { type: 'data-report', data: report } });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 2);
  });
  afterEach(async () => {
    await daemon.close();
    await harness.cleanup();
  });

  async function reportLines(id: string): Promise<string[]> {
    const cli = spawnViber(['task', 'report', id], {
      name: 'cli-task-report',
      env: {
        OPENVIBER_HOME: makeTempDir('cli'),
        OPENVIBER_GATEWAY_URL: harness.gateway.url,
        OPENVIBER_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
        NO_COLOR: '1',
      },
    });
    const { code } = await cli.exited;
    expect(cli.stderr).toBe('');
    expect(code).toBe(0);
    return cli.stdout.split('\n').map((line) => line.trim());
  }

  it("prints each screenshot's artifact path on the viber and the gateway URL of its image", async () => {
    const lines = await reportLines(taskId);
    expect(lines[0]).toBe(`report ${taskId}  1 verified, 0 unverified, 2 pieces of evidence`);
    expect(lines).toContain(
      `screenshot /home/v/workspace/t/artifacts/screenshot-call_shot.png (on the viber) sha256:${'ab'.repeat(6)}`,
    );
    expect(lines).toContain(
      `${harness.gateway.url}/api/tasks/${taskId}/screenshots/screenshot-call_shot.png`,
    );
    // Every piece of evidence, cited or not, with its kind and what it is.
    const listed = lines.slice(lines.indexOf('evidence'));
    expect(listed).toEqual([
      'evidence',
      `- screenshot /home/v/workspace/t/artifacts/screenshot-call_shot.png (on the viber) sha256:${'ab'.repeat(6)}`,
      'taken by browser_screenshot of http://127.0.0.1/order (call_shot)',
      `${harness.gateway.url}/api/tasks/${taskId}/screenshots/screenshot-call_shot.png`,
      '- tool-call shell ls artifacts → screenshot-call_shot.png (call_ls)',
      '',
    ]);
  });

  it('lists the evidence of a task whose agent stated no claims, and says the answer is unverified', async () => {
    const other = (await harness.api('POST', '/api/tasks', { goal: 'answer only' })).json.id as string;
    await daemon.startTask(other);
    const report: TaskReport = {
      version: 1,
      taskId: other,
      status: 'completed',
      createdAt: '2026-11-21T12:00:00.000Z',
      summary: 'It works.',
      statedByAgent: false,
      claims: [
        {
          id: 'claim-1',
          text: 'It works.',
          status: 'unverified',
          citations: [],
          evidence: [],
          note: 'the agent did not state its claims with evidence (no report tool call)',
        },
      ],
      counts: { claims: 1, verified: 0, unverified: 1, evidence: 1 },
      evidence: [check],
    };
    const before = daemon.ofType('task:ack').length;
    daemon.send({
      type: 'task:stream-chunk',
      taskId: other,
      seq: 2,
      chunk: { type: 'data-report', data: report },
    });
    await waitFor(() => daemon.ofType('task:ack').length > before);
    expect(await reportLines(other)).toEqual([
      `report ${other}  no claims stated, 1 piece of evidence`,
      'The agent stated no claims with evidence: its final answer stands unverified.',
      'evidence',
      '- tool-call shell ls artifacts → screenshot-call_shot.png (call_ls)',
      '',
    ]);
  });
});
