import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { SseRecorder } from '../../../test/support/sse-recorder.ts';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { createLogger } from '../../core/logger.ts';
import {
  type BoardEvent,
  BoardEventSchema,
  CreateJobBodySchema,
  ErrorBodySchema,
  PAGE_LIMITS,
} from '../../protocol/index.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { openSqliteStore } from '../store/index.ts';
import { DEFAULT_MIN_INTERVAL_SECONDS, MIN_INTERVAL_ENV, minIntervalSeconds } from './job-floor.ts';
import { JobRunner } from './job-runner.ts';
import { JobService } from './job-service.ts';

const log = createLogger('job-api-test');

// The jobs API on a real gateway in this process (docs/jobs.md): its lists a page at a time, the
// floor of a schedule (a job may not fire more often than once a minute unless the gateway says
// so), and the board events that tell a job changed or a run was recorded.

let harness: TestGateway | undefined;
const clients: SseRecorder[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.abort();
  await harness?.cleanup();
  harness = undefined;
});

async function start(options: { jobMinIntervalSeconds?: number } = {}) {
  harness = await TestGateway.start(options);
  const viber = await harness.gateway.registerViber('jobs-api');
  return { gateway: harness, viberId: viber.id };
}

const job = (name: string, viberId: string, fields: Record<string, unknown> = {}) => ({
  name,
  cron: '0 3 * * *',
  timeZone: 'Europe/Berlin',
  goal: `goal of ${name}`,
  target: { type: 'viber', viberId },
  ...fields,
});

async function refused(gateway: TestGateway, method: string, path: string, body: unknown, message: RegExp) {
  const answer = await gateway.api(method, path, body);
  expect(answer.status, JSON.stringify(answer.json)).toBe(400);
  const { error } = ErrorBodySchema.parse(answer.json);
  expect(error.code).toBe('validation_failed');
  expect(error.message).toMatch(message);
  return error.message;
}

describe('a job', () => {
  it('has its defaults, a unique name, @nicknames, and a target that must be there', async () => {
    const { gateway, viberId } = await start();
    const created = await gateway.api('POST', '/api/jobs', {
      name: 'daily',
      cron: '@daily',
      goal: 'Once a day.',
      target: { type: 'viber', viberId },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      timeZone: 'UTC',
      mode: 'agent-decides',
      delivery: { to: 'board' },
      missedRuns: 'skip',
      enabled: true,
      lastRun: null,
    });
    expect(created.json.nextRuns.map((at: string) => at.slice(10))).toEqual(Array(3).fill('T00:00:00.000Z'));
    const again = await gateway.api('POST', '/api/jobs', job('daily', viberId));
    expect([again.status, again.json.error.message]).toEqual([
      409,
      `a job named "daily" already exists (${created.json.id})`,
    ]);

    // Paused, it has no next runs; run now still runs it, as a manual run whose task waits pending
    // for its viber (no daemon is connected).
    const paused = await gateway.api('PUT', '/api/jobs/daily', { enabled: false });
    expect(paused.json).toMatchObject({ enabled: false, nextRuns: [] });
    const manual = await gateway.api('POST', '/api/jobs/daily/run');
    expect(manual.json).toMatchObject({ trigger: 'manual', status: 'started', taskStatus: 'pending' });

    expect((await gateway.api('DELETE', `/api/vibers/${viberId}`)).status).toBe(200);
    const gone = await gateway.api('POST', '/api/jobs/daily/run');
    expect(gone.json).toMatchObject({
      status: 'failed-to-start',
      taskId: null,
      error: `viber ${viberId} was revoked`,
    });
    const revoked = await gateway.api('POST', '/api/jobs', job('gone', viberId));
    expect([revoked.status, revoked.json.error.message]).toEqual([
      400,
      `target.viberId: viber ${viberId} was revoked`,
    ]);
  });

  it('in an environment starts its task on a viber where the environment is ready', async () => {
    const { gateway } = await start();
    const viber = await gateway.gateway.registerViber('env-box');
    const daemon = await FakeDaemon.connect(gateway.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    try {
      const environment = (await gateway.api('POST', '/api/environments', { name: 'shop', type: 'manual' }))
        .json;
      const created = await gateway.api('POST', '/api/jobs', {
        ...job('env-job', viber.id),
        target: { type: 'environment', environmentId: 'shop' },
      });
      expect(created.json.target).toEqual({ type: 'environment', environmentId: environment.id });
      const unmapped = (await gateway.api('POST', '/api/jobs/env-job/run')).json;
      expect(unmapped).toMatchObject({ status: 'failed-to-start', taskId: null });
      expect(unmapped.error).toContain('not mapped to any viber');

      const binding = (
        await gateway.api('POST', `/api/environments/${environment.id}/bindings`, { viberId: viber.id })
      ).json;
      // Mapped, not ready yet: no viber can take it.
      const preparing = (await gateway.api('POST', '/api/jobs/env-job/run')).json;
      expect(preparing).toMatchObject({ status: 'failed-to-start', taskId: null, error: expect.any(String) });
      daemon.send({
        type: 'environment:status',
        bindingId: binding.id,
        generation: 1,
        status: 'ready',
        resolvedWorkingDir: '/w',
      });
      await waitFor(
        async () => (await gateway.api('GET', `/api/environments/${environment.id}`)).json.status === 'ready',
        {
          timeoutMs: 10_000,
          description: 'the environment ready',
        },
      );
      const run = (await gateway.api('POST', '/api/jobs/env-job/run')).json;
      expect(run).toMatchObject({ status: 'started', error: null });
      const task = (await gateway.api('GET', `/api/tasks/${run.taskId}`)).json;
      expect(task.task).toMatchObject({ viberId: viber.id, options: { environmentId: environment.id } });
    } finally {
      await daemon.close();
    }
  });
});

describe('the jobs lists, a page at a time', () => {
  it('page jobs by name and runs newest first; a bad limit or cursor is a 400 naming it', async () => {
    const { gateway, viberId } = await start();
    const environment = await gateway.api('POST', '/api/environments', { name: 'web', type: 'manual' });
    const names = ['golf', 'alpha', 'echo', 'charlie', 'bravo', 'foxtrot', 'delta'];
    for (const [index, name] of names.entries()) {
      const target =
        index % 2 ? { type: 'environment', environmentId: environment.json.id } : { type: 'viber', viberId };
      expect((await gateway.api('POST', '/api/jobs', job(name, viberId, { target }))).status).toBe(201);
    }
    const walk = async (path: string, field: 'jobs' | 'runs', limit: number, filter = '') => {
      const seen: string[][] = [];
      let cursor: string | null = null;
      do {
        const answer = await gateway.api(
          'GET',
          `${path}?limit=${limit}${filter}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(answer.status, JSON.stringify(answer.json)).toBe(200);
        seen.push(answer.json[field].map((row: { name?: string; id: string }) => row.name ?? row.id));
        cursor = answer.json.nextCursor;
      } while (cursor !== null && seen.length < 20);
      return seen;
    };
    expect(await walk('/api/jobs', 'jobs', 3)).toEqual([
      ['alpha', 'bravo', 'charlie'],
      ['delta', 'echo', 'foxtrot'],
      ['golf'],
    ]);
    expect(await walk('/api/jobs', 'jobs', 2, '&environmentId=web')).toEqual([
      ['alpha', 'charlie'],
      ['foxtrot'],
    ]);
    expect(await walk('/api/jobs', 'jobs', 3, `&viberId=${viberId}`)).toEqual([
      ['bravo', 'delta', 'echo'],
      ['golf'],
    ]);
    const first = await gateway.api('GET', '/api/jobs');
    expect(first.json.jobs).toHaveLength(7);
    expect(first.json.nextCursor).toBeNull();

    // Five runs (run now), newest first, two a page.
    const runIds: string[] = [];
    for (let index = 0; index < 5; index++) {
      const run = await gateway.api('POST', '/api/jobs/golf/run');
      expect(run.status).toBe(201);
      runIds.unshift(run.json.id);
    }
    expect((await walk('/api/jobs/golf/runs', 'runs', 2)).flat()).toEqual(runIds);
    expect(await walk('/api/jobs/golf/runs', 'runs', 2)).toHaveLength(3);
    const runs = await gateway.api('GET', '/api/jobs/golf/runs');
    expect([runs.json.runs.length, runs.json.nextCursor]).toEqual([5, null]);

    for (const path of ['/api/jobs', '/api/jobs/golf/runs']) {
      await refused(gateway, 'GET', `${path}?limit=0`, undefined, /^limit: /);
      await refused(gateway, 'GET', `${path}?limit=${PAGE_LIMITS.max + 1}`, undefined, /^limit: .*500/);
      await refused(
        gateway,
        'GET',
        `${path}?cursor=not%20a%20cursor`,
        undefined,
        /^cursor: must be the nextCursor/,
      );
      const garbage = Buffer.from('{"not":"a cursor"}').toString('base64url');
      await refused(
        gateway,
        'GET',
        `${path}?cursor=${garbage}`,
        undefined,
        /^cursor: not a cursor of the job/,
      );
    }
    const jobsCursor = (await gateway.api('GET', '/api/jobs?limit=1')).json.nextCursor;
    const runsCursor = (await gateway.api('GET', '/api/jobs/golf/runs?limit=1')).json.nextCursor;
    expect(
      await refused(gateway, 'GET', `/api/jobs/golf/runs?cursor=${jobsCursor}`, undefined, /^cursor: /),
    ).toBe('cursor: a cursor of the jobs list, not of the job runs list');
    expect(await refused(gateway, 'GET', `/api/jobs?cursor=${runsCursor}`, undefined, /^cursor: /)).toBe(
      'cursor: a cursor of the job runs list, not of the jobs list',
    );
    await refused(
      gateway,
      'GET',
      `/api/tasks?cursor=${jobsCursor}`,
      undefined,
      /^cursor: a cursor of the jobs list/,
    );
  });
});

describe('the floor of a schedule', () => {
  it('refuses a job that would fire more often than once a minute, at create, update and preview', async () => {
    const { gateway, viberId } = await start();
    const everySecond = await refused(
      gateway,
      'POST',
      '/api/jobs',
      job('spin', viberId, { cron: '* * * * * *', timeZone: 'UTC' }),
      /^cron: /,
    );
    expect(everySecond).toMatch(
      /^cron: "\* \* \* \* \* \*" fires 1 s apart \(\S+Z, then \S+Z\); a job may fire at most once every 60 s on this gateway \(OPENVIBER_JOB_MIN_INTERVAL_SECONDS\)$/,
    );
    await refused(
      gateway,
      'POST',
      '/api/jobs',
      job('half', viberId, { cron: '*/30 * * * * *' }),
      /fires 30 s apart/,
    );
    // Two seconds of a minute, or the last second of one and the first of the next.
    await refused(
      gateway,
      'POST',
      '/api/jobs',
      job('pair', viberId, { cron: '0,59 * * * * *' }),
      /fires 1 s apart/,
    );
    await refused(gateway, 'POST', '/api/jobs/preview', { cron: '*/10 * * * * *' }, /fires 10 s apart/);
    expect((await gateway.api('GET', '/api/jobs')).json.jobs).toEqual([]);

    // Once a minute is the floor itself; a 5-field pattern never fires closer than that.
    for (const [name, cron] of [
      ['every-minute', '* * * * *'],
      ['minute-second-30', '30 * * * * *'],
      ['two-minutes', '0,1 3 * * *'],
    ]) {
      expect((await gateway.api('POST', '/api/jobs', job(name!, viberId, { cron }))).status).toBe(201);
    }
    // An update that changes the schedule is checked too; the job keeps its schedule.
    await refused(gateway, 'PUT', '/api/jobs/every-minute', { cron: '*/5 * * * * *' }, /fires 5 s apart/);
    expect((await gateway.api('GET', '/api/jobs/every-minute')).json.cron).toBe('* * * * *');
  });

  it('is the gateway option, else the environment variable, else a minute; one it cannot read stops the start', async () => {
    expect(minIntervalSeconds(undefined, {})).toBe(DEFAULT_MIN_INTERVAL_SECONDS);
    expect(minIntervalSeconds(undefined, { [MIN_INTERVAL_ENV]: '4' })).toBe(4);
    expect(minIntervalSeconds(300, { [MIN_INTERVAL_ENV]: '4' })).toBe(300);
    expect(() => minIntervalSeconds(undefined, { [MIN_INTERVAL_ENV]: '0.5' })).toThrow(
      'OPENVIBER_JOB_MIN_INTERVAL_SECONDS: "0.5" is not a whole number of seconds from 1 to 86400',
    );
    await expect(TestGateway.start({ jobMinIntervalSeconds: 0 })).rejects.toThrow(
      'jobMinIntervalSeconds: "0" is not a whole number of seconds from 1 to 86400',
    );

    const { gateway, viberId } = await start({ jobMinIntervalSeconds: 120 });
    await refused(
      gateway,
      'POST',
      '/api/jobs',
      job('minutely', viberId, { cron: '* * * * *' }),
      /fires 60 s apart .*at most once every 120 s/,
    );
    expect(
      (await gateway.api('POST', '/api/jobs', job('two', viberId, { cron: '*/2 * * * *' }))).status,
    ).toBe(201);
  });

  it('is checked where a schedule is set: a job stored under a lower floor keeps its schedule', async () => {
    const dir = makeTempDir('job-floor');
    const store = openSqliteStore(join(dir, 'gateway.db'));
    try {
      await store.insertViber({ id: 'viber_floor', name: 'floor', createdAt: new Date().toISOString() });
      const bus = new InProcessTopicBus(log);
      const runner = new JobRunner({ store, bus, placement: { place: async (body) => body }, log });
      const service = (floor: number) => new JobService({ store, runner, bus, minIntervalSeconds: floor });
      const body = CreateJobBodySchema.parse(job('spin', 'viber_floor', { cron: '* * * * * *' }));
      await service(1).create(body);
      // The floor raised (another gateway, or this one restarted): the job keeps its schedule, and
      // an update that does not give the schedule is not checked; one that gives it is.
      const raised = service(60);
      expect(await raised.update('spin', { goal: 'Still every second.' })).toMatchObject({
        cron: '* * * * * *',
      });
      expect(() => raised.preview('* * * * * *', 'UTC')).toThrow(/fires 1 s apart/);
      await expect(raised.update('spin', { timeZone: 'UTC' })).rejects.toMatchObject({ status: 400 });
    } finally {
      await store.close();
      removeTempDir(dir);
    }
  });

  it('lowered by the gateway option, lets a test run a job every second', async () => {
    const { gateway, viberId } = await start({ jobMinIntervalSeconds: 1 });
    const created = await gateway.api('POST', '/api/jobs', job('spin', viberId, { cron: '* * * * * *' }));
    expect(created.status).toBe(201);
    expect(created.json.nextRuns.map((at: string) => Date.parse(at))).toEqual([
      Date.parse(created.json.nextRuns[0]),
      Date.parse(created.json.nextRuns[0]) + 1000,
      Date.parse(created.json.nextRuns[0]) + 2000,
    ]);
  });
});

describe('job board events', () => {
  it('tell a job changed (runId null), a run recorded (its runId), and its task status as task.updated', async () => {
    const { gateway, viberId } = await start();
    const client = new SseRecorder(`${gateway.gateway.url}/api/events`, {
      authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
    });
    clients.push(client);
    await client.waitForEvents(1);
    const events = (): BoardEvent[] =>
      client.events.map((event) => BoardEventSchema.parse(JSON.parse(event.data)));
    const waitForEvent = (predicate: (event: BoardEvent) => boolean, what: string) =>
      waitFor(() => events().find(predicate), { timeoutMs: 10_000, description: what });

    const created = await gateway.api('POST', '/api/jobs', job('nightly', viberId));
    const jobId = created.json.id as string;
    await waitForEvent((event) => event.type === 'job.changed' && event.jobId === jobId, 'the job created');
    expect(events().filter((event) => event.type === 'job.changed')).toEqual([
      { type: 'job.changed', jobId, runId: null },
    ]);

    const run = (await gateway.api('POST', `/api/jobs/${jobId}/run`)).json;
    await waitForEvent((event) => event.type === 'job.changed' && event.runId === run.id, 'the run recorded');
    // The run's task was created first; its status changes come as task.updated.
    const kinds = events().map((event) =>
      event.type === 'task.created' ? `task.created ${event.task.id}` : event.type,
    );
    expect(kinds.indexOf(`task.created ${run.taskId}`)).toBeLessThan(
      events().findIndex((event) => event.type === 'job.changed' && event.runId === run.id),
    );
    await gateway.api('POST', `/api/tasks/${run.taskId}/stop`);
    await waitForEvent(
      (event) =>
        event.type === 'task.updated' && event.task.id === run.taskId && event.task.status === 'stopped',
      "the run's task stopped",
    );

    await gateway.api('PUT', `/api/jobs/${jobId}`, { enabled: false });
    await gateway.api('DELETE', `/api/jobs/${jobId}`);
    await waitFor(
      () => events().filter((event) => event.type === 'job.changed' && event.runId === null).length === 3,
      {
        timeoutMs: 10_000,
        description: 'the pause and the delete',
      },
    );
  });
});
