import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { parseExposition, sampleValue } from '../../../test/support/prometheus-text.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { DaemonMessage, GatewayMessage, TaskDetailResponse, TaskView } from '../../protocol/index.ts';
import { GATEWAY_DB_FILE } from '../store/index.ts';

// Issue 18, item 3: `task:delegate` on the wire (docs/delegation.md, "What the gateway checks" and
// "Protocol"), with a daemon that speaks the protocol frame by frame: a request sent again gets the
// first child, the checks answer precisely, the mode and budget are clamped, a child's end is
// queued for a running parent and for nobody else, and `openviber_delegations_total` counts it all.

const METRICS_TOKEN = 'metrics-token-task-delegation-test';

type Delegate = Extract<DaemonMessage, { type: 'task:delegate' }>;
type Answer = Extract<GatewayMessage, { type: 'task:delegated' | 'task:delegate-refused' }>;

describe('task:delegate', () => {
  let harness: TestGateway;
  let daemon: FakeDaemon;
  let other: FakeDaemon;
  let seq = new Map<string, number>();
  const tokens = { a: '', b: '' };

  beforeEach(async () => {
    harness = await TestGateway.start({ metricsToken: METRICS_TOKEN });
    const a = await harness.gateway.registerViber('viber-a');
    const b = await harness.gateway.registerViber('viber-b');
    Object.assign(tokens, { a: a.token, b: b.token });
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: a.id,
      token: a.token,
      name: 'viber-a',
    });
    other = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: b.id,
      token: b.token,
      name: 'viber-b',
    });
    seq = new Map();
  });
  afterEach(async () => {
    await daemon.close();
    await other.close();
    await harness.cleanup();
  });

  /** A task on viber A, running (acknowledged and started by the fake daemon). */
  async function runningTask(options: Record<string, unknown>): Promise<TaskView> {
    const created = await harness.api('POST', '/api/tasks', {
      goal: 'parent',
      viberId: daemon.viberId,
      options,
    });
    expect(created.status).toBe(201);
    await daemon.startTask(created.json.id);
    seq.set(created.json.id, 1);
    await waitForStatus(created.json.id, 'running');
    return created.json as TaskView;
  }

  async function waitForStatus(taskId: string, status: string): Promise<TaskDetailResponse> {
    for (;;) {
      const detail = (await harness.api('GET', `/api/tasks/${taskId}`)).json as TaskDetailResponse;
      if (detail.task.status === status) return detail;
      await new Promise((done) => setTimeout(done, 20));
    }
  }

  /** Sends a task:delegate and waits for its answer (the n-th for that request id). */
  async function delegate(
    from: FakeDaemon,
    request: Omit<Delegate, 'type'>,
    occurrence = 1,
  ): Promise<Answer> {
    from.send({ type: 'task:delegate', ...request });
    return from.waitFor<Answer>(
      (message) =>
        (message.type === 'task:delegated' || message.type === 'task:delegate-refused') &&
        message.requestId === request.requestId &&
        from.received.filter(
          (seen) =>
            (seen.type === 'task:delegated' || seen.type === 'task:delegate-refused') &&
            seen.requestId === request.requestId,
        ).length >= occurrence,
    );
  }

  /** Ends a task as its daemon does: the terminal event, numbered after the last. */
  function complete(from: FakeDaemon, taskId: string, text: string): void {
    const next = (seq.get(taskId) ?? 0) + 1;
    seq.set(taskId, next);
    from.send({ type: 'task:completed', taskId, seq: next, result: { text } });
  }

  async function outboxDepth(): Promise<number | undefined> {
    const response = await fetch(`${harness.gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    return sampleValue(parseExposition(await response.text()), 'openviber_outbox_commands');
  }

  async function delegations(): Promise<(labels: Record<string, string>) => number | undefined> {
    const response = await fetch(`${harness.gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const families = parseExposition(await response.text());
    return (labels) => sampleValue(families, 'openviber_delegations_total', labels);
  }

  it('answers a request sent again with the child the first one started, and counts it once', async () => {
    const parent = await runningTask({
      mode: 'agent-decides',
      budget: { tokens: 500 },
      model: 'custom/only-on-viber-a',
    });
    const request = {
      requestId: 'call_once',
      taskId: parent.id,
      goal: 'child work',
      viber: 'viber-b',
      mode: 'always-execute' as const,
      parentMode: 'agent-decides' as const,
      budget: { tokens: 1000, costUsd: 2 },
    };
    const first = await delegate(daemon, request);
    expect(first).toMatchObject({ type: 'task:delegated', viberId: other.viberId, viberName: 'viber-b' });
    // The mode asked for is clamped to the parent's; the budget to what the parent's options leave.
    expect(first.type === 'task:delegated' && first.mode).toBe('agent-decides');
    const again = await delegate(daemon, request, 2);
    expect(again).toEqual(first);
    const detail = (await harness.api('GET', `/api/tasks/${parent.id}`)).json as TaskDetailResponse;
    expect(detail.children).toHaveLength(1);
    const child = (await harness.api('GET', `/api/tasks/${detail.children![0]!.id}`))
      .json as TaskDetailResponse;
    expect(child.task.options).toMatchObject({ mode: 'agent-decides', budget: { tokens: 500, costUsd: 2 } });
    // The child's model is its own viber's default, not the parent's.
    expect(child.task.options.model).toBeUndefined();
    expect(child.task).toMatchObject({ parentTaskId: parent.id, rootTaskId: parent.id, depth: 1 });
    const count = await delegations();
    expect(count({ outcome: 'started' })).toBe(1);
  });

  it("refuses a task that is unknown, another viber's, or not running, with the code and reason", async () => {
    const parent = await runningTask({});
    const base = { goal: 'x', parentMode: 'agent-decides' as const };
    expect(await delegate(daemon, { ...base, requestId: 'r1', taskId: 'task_nope' })).toMatchObject({
      type: 'task:delegate-refused',
      code: 'not_found',
      message: 'task task_nope not found',
    });
    expect(await delegate(other, { ...base, requestId: 'r2', taskId: parent.id })).toMatchObject({
      type: 'task:delegate-refused',
      code: 'forbidden',
      message: `task ${parent.id} does not belong to this viber`,
    });
    complete(daemon, parent.id, 'done');
    await waitForStatus(parent.id, 'completed');
    expect(await delegate(daemon, { ...base, requestId: 'r3', taskId: parent.id })).toMatchObject({
      type: 'task:delegate-refused',
      code: 'task_finished',
      message: `task ${parent.id} is completed, not running`,
    });
    const count = await delegations();
    expect(count({ outcome: 'refused', reason: 'parent' })).toBe(3);
    expect(count({ outcome: 'started' })).toBe(0);
  });

  it("queues a child's end for its running parent's viber, and nothing once the parent has ended", async () => {
    const parent = await runningTask({ mode: 'always-execute' });
    // By id this time (the other tests name it).
    const base = { taskId: parent.id, parentMode: 'always-execute' as const, viber: other.viberId };
    const one = await delegate(daemon, { ...base, requestId: 'call_one', goal: 'first' });
    const two = await delegate(daemon, { ...base, requestId: 'call_two', goal: 'second' });
    if (one.type !== 'task:delegated' || two.type !== 'task:delegated') throw new Error('not delegated');
    await other.startTask(one.childTaskId);
    await other.startTask(two.childTaskId);
    seq.set(one.childTaskId, 1);
    seq.set(two.childTaskId, 1);

    complete(other, one.childTaskId, 'first answer');
    const ended = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:child-ended' }>>(
      (message) => message.type === 'task:child-ended',
    );
    expect(ended).toMatchObject({
      taskId: parent.id,
      childTaskId: one.childTaskId,
      requestId: 'call_one',
      viberId: other.viberId,
      status: 'completed',
      answer: 'first answer',
      error: null,
    });
    daemon.send({ type: 'command:ack', commandId: ended.commandId });

    // The parent completes without waiting for the second child, which runs on and ends later.
    complete(daemon, parent.id, 'parent done');
    await waitForStatus(parent.id, 'completed');
    complete(other, two.childTaskId, 'second answer');
    await waitForStatus(two.childTaskId, 'completed');
    // The gateway has looked at that end (it marks every end it handled, queued or not).
    const db = new DatabaseSync(join(harness.home.gateway, GATEWAY_DB_FILE), { readOnly: true });
    try {
      const noticed = db.prepare('SELECT parent_notified_at FROM tasks WHERE id = ?');
      await waitFor(() => noticed.get(two.childTaskId)?.parent_notified_at, {
        description: "the second child's end to be handled",
      });
    } finally {
      db.close();
    }
    // Still listed in the parent's tree, with its own outcome; no end was sent for it.
    const detail = (await harness.api('GET', `/api/tasks/${parent.id}`)).json as TaskDetailResponse;
    expect(detail.children?.map((child) => [child.id, child.status])).toEqual([
      [one.childTaskId, 'completed'],
      [two.childTaskId, 'completed'],
    ]);
    expect(await outboxDepth()).toBe(0);
    expect(daemon.ofType('task:child-ended')).toHaveLength(1);
  });
  it('refuses an eleventh delegated task in one tree', async () => {
    // A parent that named no mode: its daemon sends its effective one, which bounds the child's.
    const parent = await runningTask({});
    const base = { taskId: parent.id, parentMode: 'always-ask' as const, goal: 'one more' };
    expect(await delegate(daemon, { ...base, requestId: 'call_mode', mode: 'always-execute' })).toMatchObject(
      {
        type: 'task:delegated',
        mode: 'always-ask',
      },
    );
    for (let i = 1; i < 10; i += 1) {
      expect(await delegate(daemon, { ...base, requestId: `call_${i}` })).toMatchObject({
        type: 'task:delegated',
      });
    }
    expect(await delegate(daemon, { ...base, requestId: 'call_10' })).toMatchObject({
      type: 'task:delegate-refused',
      code: 'conflict',
      message: `delegation refused: the tree of task ${parent.id} already holds 10 delegated tasks, the limit; do this part yourself`,
    });
    const count = await delegations();
    expect(count({ outcome: 'started' })).toBe(10);
    expect(count({ outcome: 'refused', reason: 'tree_size' })).toBe(1);
  });

  it('queues on its next start an end a stopped gateway had not queued yet', async () => {
    const parent = await runningTask({ mode: 'always-execute' });
    const started = await delegate(daemon, {
      taskId: parent.id,
      parentMode: 'always-execute',
      viber: 'viber-b',
      requestId: 'call_swept',
      goal: 'ends while nobody queues it',
    });
    if (started.type !== 'task:delegated') throw new Error('not delegated');
    await other.startTask(started.childTaskId);
    seq.set(started.childTaskId, 1);
    complete(other, started.childTaskId, 'swept answer');
    const first = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:child-ended' }>>(
      (message) => message.type === 'task:child-ended',
    );
    daemon.send({ type: 'command:ack', commandId: first.commandId });
    await waitFor(async () => (await outboxDepth()) === 0, { description: 'the end to be acknowledged' });

    // The gateway stops; the store is left as a gateway that stopped between the child's end and
    // its notice leaves it: the end stored, not marked noticed, nothing queued.
    await daemon.close();
    await other.close();
    await harness.gateway.close();
    const db = new DatabaseSync(join(harness.home.gateway, GATEWAY_DB_FILE));
    try {
      db.prepare('UPDATE tasks SET parent_notified_at = NULL WHERE id = ?').run(started.childTaskId);
    } finally {
      db.close();
    }
    await harness.restart();
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: daemon.viberId,
      token: tokens.a,
      name: 'viber-a',
      runningTasks: [parent.id],
    });
    const again = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:child-ended' }>>(
      (message) => message.type === 'task:child-ended',
    );
    expect(again).toMatchObject({
      taskId: parent.id,
      childTaskId: started.childTaskId,
      requestId: 'call_swept',
      status: 'completed',
      answer: 'swept answer',
    });
    expect(again.commandId).not.toBe(first.commandId);
  });
});
