import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { spawnViber } from '../../../test/support/processes.ts';
import { makeTempDir } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { Evidence, TaskReport } from '../../protocol/index.ts';

// `viber task report` names each screenshot's artifact path on the viber and its gateway URL.

const shot: Evidence = {
  kind: 'file',
  toolCallId: 'call_shot',
  path: '/home/v/workspace/t/artifacts/screenshot-call_shot.png',
  sha256: 'ab'.repeat(32),
  bytes: 100,
  mediaType: 'image/png',
  action: 'browser_screenshot of http://127.0.0.1/order',
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
      counts: { claims: 1, verified: 1, unverified: 0, evidence: 1 },
      evidence: [shot],
    };
    daemon.send({ type: 'task:stream-chunk', taskId, seq: 2, chunk: { type: 'data-report', data: report } });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 2);
  });
  afterEach(async () => {
    await daemon.close();
    await harness.cleanup();
  });

  it("prints each screenshot's artifact path on the viber and the gateway URL of its image", async () => {
    const cli = spawnViber(['task', 'report', taskId], {
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
    const lines = cli.stdout.split('\n').map((line) => line.trim());
    expect(lines).toContain(
      `screenshot /home/v/workspace/t/artifacts/screenshot-call_shot.png (on the viber) sha256:${'ab'.repeat(6)}`,
    );
    expect(lines).toContain(
      `${harness.gateway.url}/api/tasks/${taskId}/screenshots/screenshot-call_shot.png`,
    );
  });
});
