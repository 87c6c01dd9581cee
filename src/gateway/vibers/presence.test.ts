import { afterEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';

/** Sends a heartbeat every `everyMs`; returns the function that stops it. */
function heartbeat(daemon: FakeDaemon, everyMs: number): () => void {
  const timer = setInterval(
    () => daemon.send({ type: 'heartbeat', status: { state: 'idle', runningTasks: 0, uptimeSeconds: 1 } }),
    everyMs,
  );
  return () => clearInterval(timer);
}

describe('gateway presence', () => {
  let harness: TestGateway | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  async function runningTask(gateway: TestGateway, daemon: FakeDaemon): Promise<string> {
    const taskId = (await gateway.api('POST', '/api/tasks', { goal: 'long' })).json.id as string;
    await daemon.startTask(taskId);
    await waitFor(
      async () => (await gateway.api('GET', `/api/tasks/${taskId}`)).json.task.status === 'running',
    );
    return taskId;
  }
  const task = async (taskId: string) => (await harness!.api('GET', `/api/tasks/${taskId}`)).json.task;

  it('cuts off a silent viber and fails its running task after the grace period', async () => {
    harness = await TestGateway.start({ heartbeatIntervalMs: 100, taskGraceMs: 200 });
    const viber = await harness.gateway.registerViber('quiet one');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const stopBeating = heartbeat(daemon, 30);
    const taskId = await runningTask(harness, daemon);
    // Nothing left in flight to it (a paused socket would hold its close behind unread data)...
    await daemon.waitFor((message) => message.type === 'task:ack' && message.taskId === taskId);
    // ...then the daemon stops talking but keeps its socket open: only the heartbeat timeout can notice.
    stopBeating();
    daemon.socket.pause();
    await daemon.closed;
    expect((await harness.api('GET', `/api/vibers/${viber.id}`)).json.presence).toBe('offline');
    await waitFor(async () => (await task(taskId)).status === 'error', { description: 'the task to fail' });
    expect((await task(taskId)).error).toBe(
      `viber quiet one (${viber.id}) went offline and did not come back within the grace period of 0.2 s`,
    );
  });

  it('keeps a viber that heartbeats online', async () => {
    harness = await TestGateway.start({ heartbeatIntervalMs: 200, taskGraceMs: 200 });
    const viber = await harness.gateway.registerViber('chatty');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const stopBeating = heartbeat(daemon, 50);
    try {
      await waitFor(
        async () => (await harness!.api('GET', `/api/vibers/${viber.id}`)).json.lastHeartbeatAt !== null,
      );
      const firstBeat = (await harness.api('GET', `/api/vibers/${viber.id}`)).json.lastHeartbeatAt;
      // Wait until well past three intervals by the viber's own clock: its heartbeats must have moved on.
      await waitFor(async () => {
        const view = (await harness!.api('GET', `/api/vibers/${viber.id}`)).json;
        return Date.parse(view.lastHeartbeatAt) - Date.parse(firstBeat) > 1_000;
      });
      expect((await harness.api('GET', `/api/vibers/${viber.id}`)).json.presence).toBe('online');
    } finally {
      stopBeating();
      await daemon.close();
    }
  });

  it('cancels the grace period when the viber reconnects with its task', async () => {
    harness = await TestGateway.start({ heartbeatIntervalMs: 1_000, taskGraceMs: 300 });
    const viber = await harness.gateway.registerViber('v');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const taskId = await runningTask(harness, daemon);
    await daemon.close();
    const back = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: viber.id,
      token: viber.token,
      runningTasks: [taskId],
    });
    const stopBeating = heartbeat(back, 100);
    // Well past the grace period, the task still runs and finishes normally.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect((await task(taskId)).status).toBe('running');
    back.send({ type: 'task:completed', taskId, seq: 2, result: { text: 'ok' } });
    await waitFor(async () => (await task(taskId)).status === 'completed');
    stopBeating();
    await back.close();
  });

  it('gives vibers with running tasks a grace period after a gateway restart', async () => {
    harness = await TestGateway.start({ heartbeatIntervalMs: 1_000, taskGraceMs: 200 });
    const viber = await harness.gateway.registerViber('v');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const taskId = await runningTask(harness, daemon);
    await harness.gateway.close();
    await daemon.closed;
    await harness.restart();
    await waitFor(async () => (await task(taskId)).status === 'error', {
      description: 'the task to fail after restart',
    });
    expect((await task(taskId)).error).toMatch(/went offline/);
  });
});
