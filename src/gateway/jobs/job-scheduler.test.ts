import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { JOBS_CHANGED } from '../bus/gateway-topics.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { type GatewayStore, type JobFilter, type JobRecord, openSqliteStore } from '../store/index.ts';
import { JobRunner } from './job-runner.ts';
import { nextTicks } from './job-schedule.ts';
import { JobScheduler, SCHEDULER_CAP_MS } from './job-scheduler.ts';

// The scheduler's decisions at times the test chooses (evaluate(now)), on a real store and a real
// runner: on-time ticks, the missed-run policies, a resumed job, two gateways on one store, a
// target that cannot take the task, and ticks in a time zone across a DST change.

// Quiet: the refusals these tests provoke on purpose are not news in the test run's output.
const log = pino({ level: 'silent' });
const VIBER = 'viber_sched';
let dir: string;
let store: GatewayStore;

function schedulerOn(on: GatewayStore): JobScheduler {
  const bus = new InProcessTopicBus(log);
  const placement = { place: async () => Promise.reject(new Error('no environment in these tests')) };
  const runner = new JobRunner({ store: on, bus, placement, log });
  return new JobScheduler({ store: on, runner, bus, log });
}

async function addJob(fields: Partial<JobRecord> & Pick<JobRecord, 'id' | 'updatedAt'>): Promise<JobRecord> {
  const job: JobRecord = {
    name: fields.id,
    cron: '0 3 * * *',
    timeZone: 'Europe/Berlin',
    goal: 'nightly report',
    mode: 'agent-decides',
    targetType: 'viber',
    targetId: VIBER,
    delivery: { to: 'board' },
    missedRuns: 'skip',
    enabled: true,
    version: 1,
    createdAt: fields.updatedAt,
    ...fields,
  };
  await store.insertJob(job);
  return job;
}

const at = (iso: string) => Date.parse(iso);
/** 03:00 in Berlin in January is 02:00 UTC. */
const BERLIN_3AM = (day: number) => `2030-01-${String(day).padStart(2, '0')}T02:00:00.000Z`;

beforeEach(async () => {
  dir = makeTempDir('job-scheduler');
  store = openSqliteStore(join(dir, 'gateway.db'));
  await store.insertViber({ id: VIBER, name: 'sched', createdAt: '2029-12-01T00:00:00.000Z' });
});
afterEach(async () => {
  await store.close();
  removeTempDir(dir);
});

describe('the job scheduler', () => {
  it('runs a tick that is due once, and says when the next one comes, in the job time zone', async () => {
    await addJob({ id: 'job_nightly', updatedAt: '2030-01-01T12:00:00.000Z' });
    const scheduler = schedulerOn(store);
    // Before the tick: nothing, and the next wake is 03:00 Berlin.
    expect(await scheduler.evaluate(at('2030-01-01T23:00:00.000Z'))).toBe(at(BERLIN_3AM(2)));
    expect(await store.listJobRuns('job_nightly', 10)).toEqual([]);
    // Just after it: one run, started, with a pending task for the viber.
    expect(await scheduler.evaluate(at(BERLIN_3AM(2)) + 150)).toBe(at(BERLIN_3AM(3)));
    const runs = await store.listJobRuns('job_nightly', 10);
    expect(runs).toEqual([
      expect.objectContaining({
        scheduledFor: BERLIN_3AM(2),
        trigger: 'schedule',
        status: 'started',
        taskStatus: 'pending',
      }),
    ]);
    const task = await store.getTask(runs[0]!.taskId!);
    expect(task).toMatchObject({
      viberId: VIBER,
      goal: 'nightly report',
      options: { mode: 'agent-decides' },
    });
    expect(await store.listCommands(VIBER, 0, 10)).toEqual([
      expect.objectContaining({ type: 'task:submit' }),
    ]);
    // Looking again, now or a little later: nothing new.
    await scheduler.evaluate(at(BERLIN_3AM(2)) + 150);
    await scheduler.evaluate(at(BERLIN_3AM(2)) + 20_000);
    expect(await store.listJobRuns('job_nightly', 10)).toHaveLength(1);
    expect(await store.countTasks()).toBe(1);
  });

  it('skip: ticks missed while no gateway ran make one skipped run that counts them, and no task', async () => {
    await addJob({ id: 'job_skip', updatedAt: '2030-01-01T12:00:00.000Z', missedRuns: 'skip' });
    // The gateway starts on the 6th at noon: the ticks of the 2nd to the 6th were missed.
    await schedulerOn(store).evaluate(at('2030-01-06T12:00:00.000Z'));
    const runs = await store.listJobRuns('job_skip', 10);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      scheduledFor: BERLIN_3AM(6),
      trigger: 'missed',
      status: 'skipped',
      missedTicks: 5,
      taskId: null,
    });
    expect(runs[0]!.error).toContain('5 ticks missed');
    expect(await store.countTasks()).toBe(0);
    // A second gateway starting later the same day finds them handled.
    await schedulerOn(store).evaluate(at('2030-01-06T13:00:00.000Z'));
    expect(await store.listJobRuns('job_skip', 10)).toHaveLength(1);
  });

  it('run-once: missed ticks run once, for the latest of them', async () => {
    await addJob({ id: 'job_once', updatedAt: '2030-01-01T12:00:00.000Z', missedRuns: 'run-once' });
    await schedulerOn(store).evaluate(at('2030-01-06T12:00:00.000Z'));
    const runs = await store.listJobRuns('job_once', 10);
    expect(runs).toEqual([
      expect.objectContaining({
        scheduledFor: BERLIN_3AM(6),
        trigger: 'missed',
        status: 'started',
        missedTicks: 5,
      }),
    ]);
    expect(await store.countTasks()).toBe(1);
  });

  it('a tick on time after missed ones runs; the missed ones are one skipped run, whatever the policy', async () => {
    await addJob({ id: 'job_gap', updatedAt: '2030-01-01T12:00:00.000Z', missedRuns: 'run-once' });
    await schedulerOn(store).evaluate(at(BERLIN_3AM(5)) + 10);
    const runs = await store.listJobRuns('job_gap', 10);
    expect(runs.map((run) => [run.scheduledFor, run.status, run.missedTicks])).toEqual([
      [BERLIN_3AM(5), 'started', null],
      [BERLIN_3AM(4), 'skipped', 3],
    ]);
    expect(await store.countTasks()).toBe(1);
  });

  it('a gateway back within 30 s of a tick runs it on time; one back later finds it missed', async () => {
    await addJob({ id: 'job_restart', updatedAt: '2030-01-01T12:00:00.000Z', missedRuns: 'skip' });
    await schedulerOn(store).evaluate(at(BERLIN_3AM(2)) + 10);
    // The gateway stops before the 3rd's tick and starts again (a new process: a new scheduler on
    // the database) 30 s after it: the tick is on time, as if the gateway had never been down.
    await store.close();
    store = openSqliteStore(join(dir, 'gateway.db'));
    await schedulerOn(store).evaluate(at(BERLIN_3AM(3)) + 30_000);
    // Down again over the 4th's tick, back 30.001 s after it: missed, and under `skip` not run.
    await store.close();
    store = openSqliteStore(join(dir, 'gateway.db'));
    await schedulerOn(store).evaluate(at(BERLIN_3AM(4)) + 30_001);
    const runs = await store.listJobRuns('job_restart', 10);
    expect(runs.map((run) => [run.scheduledFor, run.trigger, run.status, run.missedTicks])).toEqual([
      [BERLIN_3AM(4), 'missed', 'skipped', 1],
      [BERLIN_3AM(3), 'schedule', 'started', null],
      [BERLIN_3AM(2), 'schedule', 'started', null],
    ]);
    expect(await store.countTasks()).toBe(2);
  });

  it('a stalled gateway does not count as missed the ticks another gateway ran meanwhile', async () => {
    await addJob({ id: 'job_stalled', updatedAt: '2030-01-01T12:00:00.000Z', missedRuns: 'skip' });
    const stalled = schedulerOn(store);
    await stalled.evaluate(at('2030-01-01T13:00:00.000Z'));
    // Another gateway runs the 2nd's and 3rd's ticks; this one looks again late for the 4th's.
    const other = schedulerOn(store);
    await other.evaluate(at(BERLIN_3AM(2)) + 10);
    await other.evaluate(at(BERLIN_3AM(3)) + 10);
    await stalled.evaluate(at(BERLIN_3AM(4)) + 60_000);
    const runs = await store.listJobRuns('job_stalled', 10);
    expect(runs.map((run) => [run.scheduledFor, run.status, run.missedTicks])).toEqual([
      [BERLIN_3AM(4), 'skipped', 1],
      [BERLIN_3AM(3), 'started', null],
      [BERLIN_3AM(2), 'started', null],
    ]);
  });

  it('a job paused and resumed does not catch up on the ticks of its pause', async () => {
    const job = await addJob({ id: 'job_paused', updatedAt: '2030-01-01T12:00:00.000Z' });
    const scheduler = schedulerOn(store);
    await scheduler.evaluate(at('2030-01-01T13:00:00.000Z'));
    await store.updateJob(job.id, (current) => ({
      ...current,
      enabled: false,
      version: 2,
      updatedAt: '2030-01-01T14:00:00.000Z',
    }));
    await scheduler.evaluate(at(BERLIN_3AM(3)) + 10);
    expect(await store.listJobRuns(job.id, 10)).toEqual([]);
    await store.updateJob(job.id, (current) => ({
      ...current,
      enabled: true,
      version: 3,
      updatedAt: '2030-01-04T12:00:00.000Z',
    }));
    await scheduler.evaluate(at('2030-01-04T12:00:01.000Z'));
    expect(await store.listJobRuns(job.id, 10)).toEqual([]);
    await scheduler.evaluate(at(BERLIN_3AM(5)) + 10);
    expect((await store.listJobRuns(job.id, 10)).map((run) => run.scheduledFor)).toEqual([BERLIN_3AM(5)]);
  });

  it('two gateways on one database looking at the same ticks start one task per tick', async () => {
    await addJob({
      id: 'job_twice',
      cron: '*/10 * * * * *',
      timeZone: 'UTC',
      updatedAt: '2030-01-01T00:00:00.500Z',
    });
    const other = openSqliteStore(join(dir, 'gateway.db'));
    try {
      const [a, b] = [schedulerOn(store), schedulerOn(other)];
      for (const second of [10, 20, 30]) {
        const now = at(`2030-01-01T00:00:${second}.050Z`);
        await Promise.all([a.evaluate(now), b.evaluate(now), a.evaluate(now + 5)]);
      }
      const runs = await store.listJobRuns('job_twice', 10);
      expect(runs.map((run) => [run.scheduledFor, run.status])).toEqual([
        ['2030-01-01T00:00:30.000Z', 'started'],
        ['2030-01-01T00:00:20.000Z', 'started'],
        ['2030-01-01T00:00:10.000Z', 'started'],
      ]);
      expect(await store.countTasks()).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('a target that cannot take the task records a run that failed to start, saying why', async () => {
    await addJob({ id: 'job_gone', targetId: 'viber_gone', updatedAt: '2030-01-01T12:00:00.000Z' });
    await schedulerOn(store).evaluate(at(BERLIN_3AM(2)) + 10);
    expect(await store.listJobRuns('job_gone', 10)).toEqual([
      expect.objectContaining({
        status: 'failed-to-start',
        taskId: null,
        error: 'viber viber_gone not found',
      }),
    ]);
    expect(await store.countTasks()).toBe(0);
  });

  it('hands a run whose task was created to the delivery hook; a hook that throws loses no run', async () => {
    const job = await addJob({ id: 'job_deliver', updatedAt: '2030-01-01T12:00:00.000Z' });
    const bus = new InProcessTopicBus(log);
    const placement = { place: async () => Promise.reject(new Error('no environment in these tests')) };
    const delivered: string[] = [];
    const runner = new JobRunner({
      ...{ store, bus, placement, log },
      deliver: ({ job: of, run, task }) => {
        delivered.push(`${of.id} ${run.id} ${task.id}`);
        throw new Error('the channel is down');
      },
    });
    const { outcome, run } = await runner.fire(job, '2030-01-02T02:00:00.000Z', { trigger: 'manual' });
    expect(outcome).toBe('claimed');
    expect(delivered).toEqual([`job_deliver ${run.id} ${run.taskId}`]);
    expect(await store.listJobRuns(job.id, 10)).toEqual([
      expect.objectContaining({ id: run.id, status: 'started' }),
    ]);
  });

  it('looks again at once when a job changes, and at most 30 s after its last look anyway', async () => {
    expect(SCHEDULER_CAP_MS).toBe(30_000);
    const bus = new InProcessTopicBus(log);
    let looks = 0;
    const counting = {
      listJobs: (filter?: JobFilter) => {
        looks += 1;
        return store.listJobs(filter);
      },
      lastScheduledTick: (jobId: string) => store.lastScheduledTick(jobId),
    };
    const placement = { place: async () => Promise.reject(new Error('no environment in these tests')) };
    const runner = new JobRunner({ store, bus, placement, log });
    // No job: the next look is the cap's. An hour here, so only the notice can bring it earlier.
    const hourly = new JobScheduler({ store: counting, runner, bus, log, capMs: 3_600_000 });
    hourly.start();
    try {
      await waitFor(() => looks === 1, { timeoutMs: 5_000, description: 'the first look' });
      bus.publish(JOBS_CHANGED, { type: 'job.changed', jobId: 'job_new' });
      await waitFor(() => looks === 2, { timeoutMs: 5_000, description: 'the look the change asked for' });
    } finally {
      await hourly.stop();
    }
    // A job written where no notice comes (another gateway's, whose notice was lost) is seen at
    // the next capped look.
    const capped = new JobScheduler({ store, runner, bus: new InProcessTopicBus(log), log, capMs: 20 });
    capped.start();
    try {
      await addJob({
        id: 'job_unannounced',
        cron: '* * * * * *',
        timeZone: 'UTC',
        updatedAt: new Date().toISOString(),
      });
      await waitFor(async () => (await store.listJobRuns('job_unannounced', 1)).length === 1, {
        timeoutMs: 10_000,
        description: 'a tick of the unannounced job',
      });
    } finally {
      await capped.stop();
    }
  });

  it('computes ticks in the time zone, across the spring DST change', () => {
    const berlin = { cron: '30 2 * * *', timeZone: 'Europe/Berlin' };
    // 02:30 does not exist in Berlin on 2030-03-31: that day it runs at the end of the gap (03:00
    // CEST, 01:00 UTC); before, 02:30 CET is 01:30 UTC, after, 02:30 CEST is 00:30 UTC.
    expect(nextTicks(berlin, new Date('2030-03-30T00:00:00.000Z'), 3).map((d) => d.toISOString())).toEqual([
      '2030-03-30T01:30:00.000Z',
      '2030-03-31T01:00:00.000Z',
      '2030-04-01T00:30:00.000Z',
    ]);
    const tokyo = { cron: '0 0 9 * * 1-5', timeZone: 'Asia/Tokyo' };
    expect(nextTicks(tokyo, new Date('2030-01-04T00:00:00.000Z'), 2).map((d) => d.toISOString())).toEqual([
      '2030-01-07T00:00:00.000Z',
      '2030-01-08T00:00:00.000Z',
    ]);
  });
});
