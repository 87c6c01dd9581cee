import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { Evidence, TaskReport } from '../../protocol/index.ts';

const testsPass: Evidence = {
  kind: 'tool-call',
  toolCallId: 'call_1',
  tool: 'shell',
  input: '$ npm test',
  outputExcerpt: 'ok',
  ok: true,
};

const report = (taskId: string, summary: string): TaskReport => ({
  version: 1,
  taskId,
  status: 'completed',
  createdAt: '2026-11-21T12:00:00.000Z',
  summary,
  statedByAgent: true,
  claims: [
    {
      id: 'claim-1',
      text: 'the tests pass',
      status: 'verified',
      citations: ['call_1'],
      evidence: [testsPass],
    },
  ],
  counts: { claims: 1, verified: 1, unverified: 0, evidence: 1 },
  evidence: [testsPass],
});

describe('GET /api/tasks/:id/report', () => {
  let harness: TestGateway;
  let daemon: FakeDaemon;
  let taskId: string;

  beforeEach(async () => {
    harness = await TestGateway.start();
    const viber = await harness.gateway.registerViber('v');
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    taskId = (await harness.api('POST', '/api/tasks', { goal: 'prove it' })).json.id;
    await daemon.startTask(taskId);
  });
  afterEach(async () => {
    await daemon.close();
    await harness.cleanup();
  });

  it('answers 404 with a reason until the task streams its report, then serves the last one', async () => {
    const before = await harness.api('GET', `/api/tasks/${taskId}/report`);
    expect(before.status).toBe(404);
    expect(before.json.error.message).toBe(`task ${taskId} has no report yet`);

    daemon.send({
      type: 'task:stream-chunk',
      taskId,
      seq: 2,
      chunk: { type: 'data-report', data: report(taskId, 'first') },
    });
    daemon.send({
      type: 'task:stream-chunk',
      taskId,
      seq: 3,
      chunk: { type: 'text-delta', id: 't', delta: 'more' },
    });
    daemon.send({
      type: 'task:stream-chunk',
      taskId,
      seq: 4,
      chunk: { type: 'data-report', data: report(taskId, 'final') },
    });
    daemon.send({ type: 'task:completed', taskId, seq: 5, result: { text: 'done' } });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 5);

    const after = await harness.api('GET', `/api/tasks/${taskId}/report`);
    expect(after.status).toBe(200);
    expect(after.json).toEqual(report(taskId, 'final'));
  });

  it('says not found for an unknown task and refuses without a token', async () => {
    expect((await harness.api('GET', '/api/tasks/task_nope/report')).status).toBe(404);
    const anonymous = await fetch(`${harness.gateway.url}/api/tasks/${taskId}/report`);
    expect(anonymous.status).toBe(401);
  });
});
