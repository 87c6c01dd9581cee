import { describe, expect, it } from 'vitest';
import { tickText } from '../../src/client/index.ts';
import { ErrorBodySchema, type JobRunView, type JobView } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { oneSecondAhead } from '../support/job-ticks.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, restartGateway, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Scheduled jobs with real processes: a gateway, a daemon and the scripted OpenAI-compatible model.
// A job whose 6-field pattern matches a second a few seconds ahead runs once, its run is in the
// history with its task, the task completes, and the CLI shows it; bad input through REST and
// the CLI is refused with the field named, and the gateway keeps serving.

useE2eCleanup();

const REPORT = 'Nightly report: all green.';

async function viber(gateway: GatewayHandle, args: string[]) {
  const child = spawnViber(args, {
    name: `cli-jobs-${args[1]}`,
    env: {
      OPENVIBER_HOME: makeTempDir('cli-jobs'),
      OPENVIBER_GATEWAY_URL: gateway.url,
      OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
    },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

describe('scheduled jobs', { timeout: 120_000 }, () => {
  it('a job a few seconds ahead runs once, appears in the history with its task, and the CLI lists it', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: REPORT }) });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'jobs-viber' });
    const { cron, at } = oneSecondAhead(10);

    const added = await viber(gateway, [
      ...['jobs', 'add', '--name', 'nightly', '--cron', cron, '--tz', 'UTC'],
      ...[
        '--goal',
        'Write the nightly report.',
        '--viber',
        daemon.viberId,
        '--mode',
        'always-execute',
        '--json',
      ],
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const job = JSON.parse(added.stdout) as JobView;
    expect(job).toMatchObject({
      name: 'nightly',
      timeZone: 'UTC',
      missedRuns: 'skip',
      enabled: true,
      lastRun: null,
    });
    expect(job.nextRuns[0]).toBe(at);

    const runs = async () =>
      (await gateway.rest.client.call('jobs.runs', { params: { id: job.id } })).runs as JobRunView[];
    const [run] = await waitFor(
      async () => {
        const listed = await runs();
        return listed.length > 0 ? listed : undefined;
      },
      {
        timeoutMs: 30_000,
        description: 'the job to run at its tick',
      },
    );
    expect(run).toMatchObject({ scheduledFor: at, trigger: 'schedule', status: 'started' });
    const detail = await waitForTaskStatus(gateway.rest, run!.taskId!, 'completed');
    expect(detail.task).toMatchObject({ viberId: daemon.viberId, goal: 'Write the nightly report.' });
    expect(detail.task.result?.text).toBe(REPORT);

    // Once: one run, one task, and the job has no tick left (its pattern names one second a year).
    expect(await runs()).toEqual([expect.objectContaining({ id: run!.id, taskStatus: 'completed' })]);
    expect(await gateway.rest.listTasks()).toHaveLength(1);
    const shown = await gateway.rest.client.call('jobs.get', { params: { id: 'nightly' } });
    expect(shown.lastRun).toMatchObject({ id: run!.id, taskStatus: 'completed' });

    const listed = await viber(gateway, ['jobs', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('nightly');
    expect(listed.stdout).toContain(cron);
    expect(listed.stdout).toContain('task completed');
    expect(listed.stdout).toMatch(/next \w{3} \d{1,2} \w{3}( \d{4})? \d{2}:\d{2}(:\d{2})? UTC/);
    // A tick reads in the job's own zone, named, as the board shows it (src/client/job-time.ts).
    const card = await viber(gateway, ['jobs', 'show', 'nightly']);
    expect(card.stdout).toContain(`last run    ${tickText(run!.scheduledFor, 'UTC')} UTC`);
    const history = await viber(gateway, ['jobs', 'runs', 'nightly']);
    expect(history.stdout).toContain(run!.taskId!);
    expect(history.stdout).toContain('completed');

    // Run now, then pause, resume and remove through the CLI.
    const now = await viber(gateway, ['jobs', 'run', 'nightly', '--json']);
    expect(JSON.parse(now.stdout)).toMatchObject({ trigger: 'manual', status: 'started' });
    // The runs a page at a time: the newest, and the cursor of the rest on stderr.
    const newest = await viber(gateway, ['jobs', 'runs', 'nightly', '--limit', '1']);
    expect(newest.stdout).toContain('manual');
    expect(newest.stdout).not.toContain(run!.taskId!);
    const cursor = newest.stderr.match(/--cursor (\S+)/)?.[1];
    expect(cursor, newest.stderr).toBeDefined();
    const older = await viber(gateway, ['jobs', 'runs', 'nightly', '--limit', '1', '--cursor', cursor!]);
    expect(older.stdout).toContain(run!.taskId!);
    expect(older.stderr).toBe('');
    const all = await viber(gateway, ['jobs', 'runs', 'nightly', '--limit', '1', '--all', '--json']);
    expect((JSON.parse(all.stdout) as JobRunView[]).map((row) => row.trigger)).toEqual([
      'manual',
      'schedule',
    ]);
    const listedAll = await viber(gateway, ['jobs', 'list', '--limit', '1', '--all', '--json']);
    expect((JSON.parse(listedAll.stdout) as JobView[]).map((row) => row.name)).toEqual(['nightly']);
    expect((await viber(gateway, ['jobs', 'pause', 'nightly'])).stdout).toContain('paused');
    expect((await viber(gateway, ['jobs', 'resume', 'nightly'])).stdout).toContain('enabled');
    expect((await viber(gateway, ['jobs', 'remove', 'nightly'])).stdout).toContain(`removed ${job.id}`);
    expect((await gateway.rest.client.call('jobs.list', {})).jobs).toEqual([]);
  });

  it('a gateway restarted within 30 s of a tick it was down for runs the tick on time', async () => {
    const gateway = await spawnGateway();
    const viberId = (await gateway.rest.registerViber('restart')).id;
    const { cron, at } = oneSecondAhead(6);
    const job = await gateway.rest.client.call('jobs.create', {
      body: {
        name: 'across-a-restart',
        cron,
        goal: 'Run across a restart.',
        target: { type: 'viber', viberId },
      },
    });
    // Down over the tick: killed now, started again once the tick has passed.
    await gateway.process.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(at) - Date.now() + 1_000)));
    const restarted = await restartGateway(gateway);
    const [run] = await waitFor(
      async () => {
        const { runs } = await restarted.rest.client.call('jobs.runs', { params: { id: job.id } });
        return runs.length > 0 ? runs : undefined;
      },
      { timeoutMs: 30_000, description: 'the tick run by the restarted gateway' },
    );
    // On time, though late: recorded after its tick, by a gateway that was not up at the tick.
    expect(run).toMatchObject({
      scheduledFor: at,
      trigger: 'schedule',
      status: 'started',
      missedTicks: null,
    });
    expect(Date.parse(run!.createdAt)).toBeGreaterThan(Date.parse(at));
    expect(await restarted.rest.listTasks()).toHaveLength(1);
  });

  it('refuses an invalid cron pattern, time zone or target with the field named, over REST and the CLI', async () => {
    const gateway = await spawnGateway();
    const viberId = (await gateway.rest.registerViber('bad-input')).id;
    const base = { name: 'bad', goal: 'x', target: { type: 'viber', viberId } };
    const refused = async (body: unknown, status: number, message: RegExp) => {
      const answer = await gateway.rest.request('POST', '/api/jobs', { body });
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(ErrorBodySchema.parse(answer.body).error.message).toMatch(message);
    };
    await refused(
      { ...base, cron: '61 * * * *' },
      400,
      /^cron: "61 \* \* \* \*" is not a valid pattern: .*minute/,
    );
    await refused({ ...base, cron: '* * *' }, 400, /^cron: "\* \* \*" has 3 fields; give 5/);
    await refused({ ...base, cron: '0 0 1 1 * 2030' }, 400, /^cron: .*7|^cron: "0 0 1 1 \* 2030"/);
    await refused({ ...base, cron: '2030-01-01T00:00:00' }, 400, /^cron: .* has 1 field;/);
    await refused({ ...base, cron: '0 0 0 30 2 *' }, 400, /^cron: "0 0 0 30 2 \*" never matches/);
    await refused(
      { ...base, cron: '0 3 * * *', timeZone: 'Mars/Olympus' },
      400,
      /^timeZone: "Mars\/Olympus" is not an IANA time zone/,
    );
    await refused(
      { ...base, cron: '0 3 * * *', target: { type: 'viber', viberId: 'viber_nobody' } },
      404,
      /^target\.viberId: viber viber_nobody not found/,
    );
    await refused(
      { ...base, cron: '0 3 * * *', target: { type: 'environment', environmentId: 'nowhere' } },
      404,
      /^target\.environmentId: environment nowhere not found/,
    );
    await refused(
      { ...base, cron: '0 3 * * *', delivery: { to: 'channel', channelId: 'c' } },
      400,
      /^delivery/,
    );
    await refused({ ...base, cron: '0 3 * * *', missedRuns: 'sometimes' }, 400, /^missedRuns/);
    const preview = await gateway.rest.request('POST', '/api/jobs/preview', {
      body: { cron: '0 3 * * *', timeZone: 'Nowhere/City' },
    });
    expect(preview.status).toBe(400);

    const cliRefused = async (args: string[], code: number, message: RegExp) => {
      const answer = await viber(gateway, ['jobs', 'add', '--name', 'bad', '--goal', 'x', ...args]);
      expect(answer.code, args.join(' ')).toBe(code);
      expect(answer.stderr).toMatch(message);
    };
    await cliRefused(['--cron', '61 * * * *', '--viber', viberId], 1, /gateway answered 400: cron: .*minute/);
    await cliRefused(
      ['--cron', '0 3 * * *', '--tz', 'Mars/Olympus', '--viber', viberId],
      1,
      /400: timeZone: "Mars\/Olympus"/,
    );
    await cliRefused(
      ['--cron', '0 3 * * *', '--viber', 'viber_nobody'],
      1,
      /404: target\.viberId: viber viber_nobody not found/,
    );
    await cliRefused(
      ['--cron', '0 3 * * *', '--env', 'nowhere'],
      1,
      /404: target\.environmentId: environment nowhere/,
    );
    await cliRefused(['--cron', '0 3 * * *'], 2, /give exactly one of --env <environment> or --viber/);
    await cliRefused(
      ['--cron', '0 3 * * *', '--viber', viberId, '--mode', 'yolo'],
      2,
      /--mode: invalid value "yolo": use one of always-ask, agent-decides, always-execute/,
    );
    await cliRefused(
      ['--cron', '0 3 * * *', '--viber', viberId, '--missed', 'never'],
      2,
      /--missed: invalid value "never": use one of skip, run-once/,
    );
    await cliRefused(
      ['--cron', '*/10 * * * * *', '--viber', viberId],
      1,
      /gateway answered 400: cron: "\*\/10 \* \* \* \* \*" fires 10 s apart .*at most once every 60 s/,
    );
    await cliRefused(['--viber', viberId], 2, /--cron is required/);
    const missing = await viber(gateway, ['jobs', 'show', 'no-such-job']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('gateway answered 404: job no-such-job not found');

    // Nothing was stored, and the gateway still serves.
    expect((await gateway.rest.client.call('jobs.list', {})).jobs).toEqual([]);
    expect((await gateway.rest.request('GET', '/health')).status).toBe(200);
  });
});
