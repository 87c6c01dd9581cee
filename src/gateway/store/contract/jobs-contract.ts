import { describe, expect, it } from 'vitest';
import type { GatewayStore } from '../gateway-store.ts';
import type { JobRecord, JobRunRecord } from '../jobs-store.ts';
import { aCommand, addViber, aTask, type OpenStore, tick, useStore } from './contract-harness.ts';

export function aJob(id: string, name: string, fields: Partial<JobRecord> = {}): JobRecord {
  const at = tick();
  return {
    id,
    name,
    cron: '0 3 * * *',
    timeZone: 'Europe/Berlin',
    goal: `goal of ${name}`,
    mode: 'agent-decides',
    targetType: 'viber',
    targetId: 'viber_jobs',
    delivery: { to: 'channel', channelId: 'chan_1', conversationKey: '42:7' },
    missedRuns: 'skip',
    enabled: true,
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}

let runs = 0;
function aRun(jobId: string, scheduledFor: string, fields: Partial<JobRunRecord> = {}): JobRunRecord {
  runs += 1;
  return {
    id: `jrun_contract-${runs}`,
    jobId,
    scheduledFor,
    trigger: 'schedule',
    status: 'started',
    missedTicks: null,
    taskId: null,
    error: null,
    createdAt: tick(),
    ...fields,
  };
}

/** The claim of a tick that starts task `taskId` on the job's viber, as the scheduler makes one. */
function aStartingClaim(jobId: string, scheduledFor: string, taskId: string, version = 1) {
  return {
    run: aRun(jobId, scheduledFor, { taskId }),
    task: {
      task: aTask(taskId, 'viber_jobs'),
      submit: aCommand('viber_jobs', taskId, 'task:submit', { goal: 'scheduled' }),
    },
    version,
  };
}

const TICK = '2030-01-01T02:00:00.000Z';

export function jobsContract(open: OpenStore): void {
  describe('jobs', () => {
    const t = useStore(open);

    it('are stored, read back by id and name, and listed by name and target', async () => {
      const nightly = aJob('job_1', 'nightly');
      const hourly = aJob('job_2', 'hourly', {
        targetType: 'environment',
        targetId: 'env_1',
        delivery: { to: 'board' },
        enabled: false,
        missedRuns: 'run-once',
      });
      await t.store.insertJob(nightly);
      await t.store.insertJob(hourly);
      expect(await t.store.getJob('job_1')).toEqual(nightly);
      expect(await t.store.getJobByName('hourly')).toEqual(hourly);
      expect(await t.store.getJob('job_none')).toBeNull();
      expect((await t.store.listJobs()).map((job) => job.name)).toEqual(['hourly', 'nightly']);
      expect(await t.store.listJobs({ targetType: 'environment', targetId: 'env_1' })).toEqual([hourly]);
      expect(await t.store.listJobs({ enabledOnly: true })).toEqual([nightly]);
    });

    it('refuse a name another job has, on insert and on update', async () => {
      await t.store.insertJob(aJob('job_1', 'nightly'));
      await t.store.insertJob(aJob('job_2', 'hourly'));
      await expect(t.store.insertJob(aJob('job_3', 'nightly'))).rejects.toMatchObject({
        code: 'conflict',
        status: 409,
      });
      await expect(
        t.store.updateJob('job_2', (job) => ({ ...job, name: 'nightly', version: job.version + 1 })),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect((await t.store.getJob('job_2'))?.name).toBe('hourly');
    });

    it('update through decide; null leaves it; a missing job is null', async () => {
      await t.store.insertJob(aJob('job_1', 'nightly'));
      const at = tick();
      const updated = await t.store.updateJob('job_1', (job) => ({
        ...job,
        cron: '*/10 * * * * *',
        enabled: false,
        version: job.version + 1,
        updatedAt: at,
      }));
      expect(updated).toMatchObject({ cron: '*/10 * * * * *', enabled: false, version: 2, updatedAt: at });
      expect(await t.store.updateJob('job_1', () => null)).toEqual(updated);
      expect(await t.store.updateJob('job_none', (job) => job)).toBeNull();
    });

    it('a claim that wins a tick inserts the run, the task and its submit in one transaction', async () => {
      await addViber(t.store, 'viber_jobs');
      await t.store.insertJob(aJob('job_1', 'nightly'));
      t.clear();
      expect(await t.store.claimJobRun(aStartingClaim('job_1', TICK, 'task_job-1'))).toBe('claimed');
      expect(t.commits).toHaveLength(1);
      expect(t.changes()).toEqual([expect.objectContaining({ type: 'task.created' })]);
      const commands = await t.store.listCommands('viber_jobs', 0, 10);
      expect(commands.map((command) => [command.type, command.taskId])).toEqual([
        ['task:submit', 'task_job-1'],
      ]);

      // The same tick again (another gateway, a retry): taken, and nothing else is written.
      expect(await t.store.claimJobRun(aStartingClaim('job_1', TICK, 'task_job-2'))).toBe('taken');
      expect(await t.store.getTask('task_job-2')).toBeNull();
      expect(await t.store.countTasks()).toBe(1);
      expect(await t.store.listCommands('viber_jobs', 0, 10)).toHaveLength(1);
      const [run] = await t.store.listJobRuns('job_1', 10);
      expect(run).toMatchObject({ scheduledFor: TICK, taskId: 'task_job-1', taskStatus: 'pending' });
    });

    it('a claim computed from an older version, or of a paused or deleted job, writes nothing', async () => {
      await addViber(t.store, 'viber_jobs');
      await t.store.insertJob(aJob('job_1', 'nightly'));
      await t.store.updateJob('job_1', (job) => ({ ...job, version: 2 }));
      expect(await t.store.claimJobRun(aStartingClaim('job_1', TICK, 'task_a', 1))).toBe('stale');
      await t.store.updateJob('job_1', (job) => ({ ...job, version: 3, enabled: false }));
      expect(await t.store.claimJobRun(aStartingClaim('job_1', TICK, 'task_b', 3))).toBe('stale');
      expect(await t.store.claimJobRun(aStartingClaim('job_none', TICK, 'task_c'))).toBe('not_found');
      expect(await t.store.countTasks()).toBe(0);
      expect(await t.store.listJobRuns('job_1', 10)).toEqual([]);
      // A manual run (no version) of the paused job goes through.
      const manual = aStartingClaim('job_1', TICK, 'task_d');
      expect(
        await t.store.claimJobRun({ run: { ...manual.run, trigger: 'manual' }, task: manual.task }),
      ).toBe('claimed');
    });

    it('list runs newest first with the task status read from the task; the last tick skips manual runs', async () => {
      await addViber(t.store, 'viber_jobs');
      await t.store.insertJob(aJob('job_1', 'nightly'));
      const first = '2030-01-01T02:00:00.000Z';
      const second = '2030-01-02T02:00:00.000Z';
      const later = '2030-01-05T09:30:00.000Z';
      expect(await t.store.lastScheduledTick('job_1')).toBeNull();
      await t.store.claimJobRun(aStartingClaim('job_1', first, 'task_first'));
      await t.store.claimJobRun({
        run: aRun('job_1', second, { status: 'skipped', missedTicks: 3, error: 'missed' }),
        version: 1,
      });
      await t.store.claimJobRun({
        run: aRun('job_1', later, { trigger: 'manual', status: 'failed-to-start', error: 'viber gone' }),
      });
      await t.store.updateTask('task_first', () => ({ patch: { status: 'completed', endedAt: tick() } }));
      const listed = await t.store.listJobRuns('job_1', 10);
      expect(listed.map((run) => [run.scheduledFor, run.status, run.taskStatus])).toEqual([
        [later, 'failed-to-start', null],
        [second, 'skipped', null],
        [first, 'started', 'completed'],
      ]);
      expect(listed[1]).toMatchObject({ missedTicks: 3, error: 'missed', taskId: null });
      expect(await t.store.listJobRuns('job_1', 1)).toHaveLength(1);
      expect(await t.store.lastScheduledTick('job_1')).toBe(second);
    });

    it('page jobs by name (of every target or of one) and runs newest tick first, from a cursor on', async () => {
      for (const [id, name, targetId] of [
        ['job_e', 'echo', 'env_1'],
        ['job_a', 'alpha', 'env_1'],
        ['job_d', 'delta', 'env_2'],
        ['job_c', 'charlie', 'env_1'],
        ['job_b', 'bravo', 'env_1'],
      ] as const) {
        await t.store.insertJob(aJob(id, name, { targetType: 'environment', targetId }));
      }
      const first = await t.store.jobPage({ limit: 2 });
      expect(first.items.map((job) => job.name)).toEqual(['alpha', 'bravo']);
      expect(first.next).toEqual(['bravo']);
      // A job added before the cursor's place does not show on the next page, nor moves it.
      await t.store.insertJob(aJob('job_aa', 'alpha-2', { targetType: 'environment', targetId: 'env_1' }));
      const second = await t.store.jobPage({ limit: 2, after: first.next! });
      expect(second.items.map((job) => job.name)).toEqual(['charlie', 'delta']);
      const last = await t.store.jobPage({ limit: 2, after: second.next! });
      expect([last.items.map((job) => job.name), last.next]).toEqual([['echo'], null]);
      const ofEnv = await t.store.jobPage({ limit: 3, targetType: 'environment', targetId: 'env_1' });
      expect(ofEnv.items.map((job) => job.name)).toEqual(['alpha', 'alpha-2', 'bravo']);
      const restOfEnv = await t.store.jobPage({
        limit: 3,
        targetType: 'environment',
        targetId: 'env_1',
        after: ofEnv.next!,
      });
      expect([restOfEnv.items.map((job) => job.name), restOfEnv.next]).toEqual([['charlie', 'echo'], null]);

      const ticks = ['01', '02', '03', '04', '05'].map((day) => `2030-01-${day}T02:00:00.000Z`);
      for (const at of ticks) await t.store.claimJobRun({ run: aRun('job_a', at), version: 1 });
      const runs = await t.store.jobRunPage('job_a', { limit: 2 });
      expect(runs.items.map((run) => run.scheduledFor)).toEqual([ticks[4], ticks[3]]);
      expect(runs.next).toEqual([ticks[3]]);
      // A run recorded meanwhile is newer: it is on the first page, not the next one.
      await t.store.claimJobRun({ run: aRun('job_a', '2030-01-06T02:00:00.000Z'), version: 1 });
      const more = await t.store.jobRunPage('job_a', { limit: 2, after: runs.next! });
      expect(more.items.map((run) => run.scheduledFor)).toEqual([ticks[2], ticks[1]]);
      const end = await t.store.jobRunPage('job_a', { limit: 2, after: more.next! });
      expect([end.items.map((run) => run.scheduledFor), end.next]).toEqual([[ticks[0]], null]);
      expect(await t.store.jobRunPage('job_b', { limit: 2 })).toEqual({ items: [], next: null });
    });

    it('delete a job with its runs; its tasks stay', async () => {
      await addViber(t.store, 'viber_jobs');
      await t.store.insertJob(aJob('job_1', 'nightly'));
      await t.store.claimJobRun(aStartingClaim('job_1', TICK, 'task_kept'));
      expect(await t.store.deleteJob('job_1')).toBe(true);
      expect(await t.store.deleteJob('job_1')).toBe(false);
      expect(await t.store.listJobRuns('job_1', 10)).toEqual([]);
      expect(await t.store.getTask('task_kept')).not.toBeNull();
      // The name is free again, and a new job of that name starts with no history.
      await t.store.insertJob(aJob('job_2', 'nightly'));
      expect(await t.store.claimJobRun(aStartingClaim('job_2', TICK, 'task_new'))).toBe('claimed');
    });

    it('two stores on one database racing for the same ticks start exactly one task per tick', async () => {
      const other = await t.another();
      if (!other) return;
      await addViber(t.store, 'viber_jobs');
      await t.store.insertJob(aJob('job_1', 'race'));
      const ticks = Array.from(
        { length: 8 },
        (_, index) => `2030-01-01T00:00:${String(index).padStart(2, '0')}.000Z`,
      );
      const outcomes = await Promise.all(
        ticks.flatMap((at, index) =>
          ([t.store, other, t.store, other] as GatewayStore[]).map((store, racer) =>
            store.claimJobRun(aStartingClaim('job_1', at, `task_race-${index}-${racer}`)),
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(ticks.length);
      expect(outcomes.filter((outcome) => outcome === 'taken')).toHaveLength(ticks.length * 3);
      expect(await t.store.countTasks()).toBe(ticks.length);
      expect(await other.listCommands('viber_jobs', 0, 100)).toHaveLength(ticks.length);
      const listed = await other.listJobRuns('job_1', 100);
      expect(listed.map((run) => run.scheduledFor).sort()).toEqual(ticks);
      for (const run of listed) expect(await t.store.getTask(run.taskId!)).not.toBeNull();
    });
  });
}
