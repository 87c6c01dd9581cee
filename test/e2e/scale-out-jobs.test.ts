import { describe, expect, it } from 'vitest';
import type { JobRunView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { SseRecorder } from '../support/sse-recorder.ts';
import { spawnDaemon } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 18, "a job never runs twice for one tick across gateways": three gateway processes on one
// real PostgreSQL and Redis, each running its scheduler, a daemon on gateway A, a job created on B
// that ticks every four seconds. Over three ticks and more, each tick has one run row and one
// task, and every task ran to the end on the daemon.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;
const TICKS = 3;

describe('scheduled jobs on several gateways', { timeout: 240_000 }, () => {
  it('start one task per tick, whichever gateway claims it', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'tick handled' }) });
    // A tick every four seconds is under the gateways' floor of a minute: these gateways lower it.
    const [a, b, c] = await threeGateways(HEARTBEAT_MS, { OPENVIBER_JOB_MIN_INTERVAL_SECONDS: '4' });
    const viber = await a!.rest.registerViber('jobs-scale-out');
    await spawnDaemon({
      serverUrl: a!.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'jobs-scale-out',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });

    // C's board hears of the job and of every run, whichever gateway made them (docs/jobs.md, Board).
    const board = new SseRecorder(`${c!.url}/api/events`, { authorization: `Bearer ${c!.operatorToken}` });
    onCleanup(() => board.abort());
    await board.waitForEvents(1);

    const job = await b!.rest.client.call('jobs.create', {
      body: {
        name: 'every-four-seconds',
        cron: '*/4 * * * * *',
        goal: 'Handle the tick.',
        mode: 'always-execute',
        target: { type: 'viber', viberId: viber.id },
      },
    });
    // Every gateway sees the job (and C its next runs) through the shared store.
    expect((await c!.rest.client.call('jobs.get', { params: { id: job.id } })).nextRuns).toHaveLength(3);

    const runsOn = async (gateway: typeof a) =>
      (await gateway!.rest.client.call('jobs.runs', { params: { id: job.id }, query: { limit: 500 } }))
        .runs as JobRunView[];
    await waitFor(async () => (await runsOn(c)).filter((run) => run.status === 'started').length >= TICKS, {
      timeoutMs: 60_000,
      description: `${TICKS} ticks of the job`,
    });
    // Paused from A: no gateway claims another tick after this answer.
    await a!.rest.client.call('jobs.update', { params: { id: job.id }, body: { enabled: false } });
    const runs = await runsOn(a);

    // One run per tick, each on a tick of the pattern, each with its own task; no skipped tick.
    const ticks = runs.map((run) => run.scheduledFor);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (const run of runs) {
      expect(run).toMatchObject({ trigger: 'schedule', status: 'started', error: null });
      expect(new Date(run.scheduledFor).getUTCSeconds() % 4).toBe(0);
      expect(new Date(run.scheduledFor).getUTCMilliseconds()).toBe(0);
    }
    const sorted = [...ticks].sort();
    for (let index = 1; index < sorted.length; index++) {
      expect(Date.parse(sorted[index]!) - Date.parse(sorted[index - 1]!)).toBe(4_000);
    }
    const taskIds = runs.map((run) => run.taskId!);
    expect(new Set(taskIds).size).toBe(runs.length);
    for (const taskId of taskIds) await waitForTaskStatus(b!.rest, taskId, 'completed');

    // The tasks are exactly the runs' tasks, and the model was asked once per task.
    const tasks = await c!.rest.listTasks();
    expect(tasks.map((task) => task.id).sort()).toEqual([...taskIds].sort());
    expect(model.requests).toHaveLength(runs.length);
    const jobEvents = () =>
      board.events
        .map((event) => JSON.parse(event.data) as { type: string; jobId?: string; runId?: string | null })
        .filter((event) => event.type === 'job.changed' && event.jobId === job.id);
    await waitFor(() => runs.every((run) => jobEvents().some((event) => event.runId === run.id)), {
      timeoutMs: 10_000,
      description: "C's board events of every run",
    });
    expect(jobEvents()[0]).toEqual({ type: 'job.changed', jobId: job.id, runId: null });

    // The history reads the same on every gateway, with each task's status.
    for (const gateway of [a, b, c]) {
      const seen = await runsOn(gateway);
      expect(seen.map((run) => [run.id, run.taskStatus])).toEqual(runs.map((run) => [run.id, 'completed']));
    }
  });
});
