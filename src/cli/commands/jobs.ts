import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { RouteInput } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import { AutonomyModeSchema, MissedRunPolicySchema } from '../../protocol/index.ts';
import { CliError, checkedOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';
import { addPageOptions, type PageFlags, printRows, readListPages } from '../list-pages.ts';
import { describeJob, jobLine, runLine } from './job-lines.ts';

type CreateBody = RouteInput<'jobs.create'>['body'];

interface AddFlags extends ClientFlags {
  name?: string;
  cron?: string;
  tz?: string;
  goal?: string;
  env?: string;
  viber?: string;
  mode?: string;
  missed?: string;
  paused?: boolean;
  channel?: string;
  conversation?: string;
}

function print(flags: ClientFlags, value: unknown, human: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

function required(flags: AddFlags, key: 'name' | 'cron' | 'goal'): string {
  const value = flags[key];
  if (!value?.trim()) throw new CliError(`--${key} is required`, 2);
  return value;
}

/** The body of `jobs add`, every flag checked here first so a mistake is named before any call. */
export function addBody(flags: AddFlags): CreateBody {
  if (Boolean(flags.env) === Boolean(flags.viber)) {
    throw new CliError('give exactly one of --env <environment> or --viber <viber id>', 2);
  }
  if (Boolean(flags.channel) !== Boolean(flags.conversation)) {
    throw new CliError('--channel and --conversation go together (the channel and its chat or thread)', 2);
  }
  return {
    name: required(flags, 'name'),
    cron: required(flags, 'cron'),
    ...(flags.tz !== undefined ? { timeZone: flags.tz } : {}),
    goal: required(flags, 'goal'),
    ...(flags.mode !== undefined ? { mode: checkedOption('--mode', AutonomyModeSchema, flags.mode) } : {}),
    ...(flags.missed !== undefined
      ? { missedRuns: checkedOption('--missed', MissedRunPolicySchema, flags.missed) }
      : {}),
    target: flags.env
      ? { type: 'environment', environmentId: flags.env }
      : { type: 'viber', viberId: flags.viber! },
    ...(flags.channel
      ? { delivery: { to: 'channel', channelId: flags.channel, conversationKey: flags.conversation! } }
      : {}),
    ...(flags.paused ? { enabled: false } : {}),
  };
}

export function registerJobCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('scheduled jobs: a cron pattern in a time zone that starts a task (docs/jobs.md)');

  addPageOptions(addClientOptions(jobs.command('list')))
    .description('list jobs by name with their next run and last run, a page at a time')
    .option('--env <environment>', "only this environment's jobs (id or name)")
    .option('--viber <id>', "only this viber's jobs")
    .action(async (flags: ClientFlags & PageFlags & { env?: string; viber?: string }) => {
      const filter = {
        ...(flags.env ? { environmentId: flags.env } : {}),
        ...(flags.viber ? { viberId: flags.viber } : {}),
      };
      const client = clientFromFlags(flags, resolveHome());
      const read = await readListPages(
        flags,
        (page) => client.call('jobs.list', { query: { ...filter, ...page } }),
        (page) => page.jobs,
      );
      printRows(read, flags.json, jobLine, 'no jobs yet');
    });

  addClientOptions(jobs.command('add'))
    .description(
      'add a job, e.g. --name nightly --cron "0 3 * * *" --tz Europe/Berlin --goal "..." --env web',
    )
    .option('--name <name>', 'a unique name')
    .option('--cron <pattern>', '5 fields (minute hour day month weekday), or 6 with seconds first')
    .option('--tz <zone>', 'IANA time zone of the pattern (default UTC)')
    .option('--goal <text>', "the task's goal")
    .option('--env <environment>', 'run in this environment (id or name), on a viber where it is ready')
    .option('--viber <id>', 'run on this viber')
    .option('--mode <mode>', 'always-ask, agent-decides (default) or always-execute')
    .option('--missed <policy>', 'ticks missed while no gateway ran: skip (default) or run-once')
    .option('--channel <id>', 'send results to this channel (with --conversation)')
    .option('--conversation <key>', "the channel's chat or thread")
    .option('--paused', 'add it paused')
    .action(async (flags: AddFlags) => {
      const body = addBody(flags);
      const client = clientFromFlags(flags, resolveHome());
      const created = await client.call('jobs.create', { body, idempotencyKey: randomUUID() });
      print(flags, created, () => describeJob(created));
    });

  addClientOptions(jobs.command('show').argument('<job>', 'id or name'))
    .description('show a job and its next runs')
    .action(async (id: string, flags: ClientFlags) => {
      const job = await clientFromFlags(flags, resolveHome()).call('jobs.get', { params: { id } });
      print(flags, job, () => describeJob(job));
    });

  addPageOptions(addClientOptions(jobs.command('runs').argument('<job>', 'id or name')))
    .description("a job's runs, newest first, with their tasks, a page at a time")
    .action(async (id: string, flags: ClientFlags & PageFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const read = await readListPages(
        flags,
        (page) => client.call('jobs.runs', { params: { id }, query: page }),
        (page) => page.runs,
      );
      printRows(read, flags.json, runLine, 'no runs yet');
    });

  addClientOptions(jobs.command('run').argument('<job>', 'id or name'))
    .description('run a job now, outside its schedule')
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const run = await client.call('jobs.run', { params: { id }, idempotencyKey: randomUUID() });
      print(flags, run, () => runLine(run));
      if (run.status !== 'started') process.exitCode = 1;
    });

  for (const [name, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    addClientOptions(jobs.command(name).argument('<job>', 'id or name'))
      .description(
        enabled ? 'resume a paused job (missed ticks of the pause are not caught up)' : 'pause a job',
      )
      .action(async (id: string, flags: ClientFlags) => {
        const job = await clientFromFlags(flags, resolveHome()).call('jobs.update', {
          params: { id },
          body: { enabled },
        });
        print(flags, job, () => jobLine(job));
      });
  }

  addClientOptions(jobs.command('remove').argument('<job>', 'id or name'))
    .description('remove a job and its run history (its tasks stay)')
    .action(async (id: string, flags: ClientFlags) => {
      const removed = await clientFromFlags(flags, resolveHome()).call('jobs.delete', { params: { id } });
      print(flags, removed, () => `removed ${removed.id}`);
    });
}
