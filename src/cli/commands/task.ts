import { randomUUID } from 'node:crypto';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { z } from 'zod';
import { followBoardEvents, type GatewayClient, taskStateLabel } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import {
  AutonomyModeSchema,
  InjectionModeSchema,
  ModelRefSchema,
  type TaskActivity,
  type TaskDetailResponse,
  TaskProgressEventSchema,
  TaskStatusSchema,
  type TaskView,
} from '../../protocol/index.ts';
import { TerminalApprovals } from '../approval-prompt.ts';
import { ChunkRenderer } from '../chunk-renderer.ts';
import { checkedOption, MODEL_EXAMPLE } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';
import { addPageOptions, type PageFlags, printRows, readListPages } from '../list-pages.ts';
import { describeReport } from './task-report.ts';
import { taskTreeLines } from './task-tree-lines.ts';

function print(flags: ClientFlags, value: unknown, human: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

const STATUS_COLORS = {
  pending: 'yellow',
  running: 'cyan',
  completed: 'green',
  error: 'red',
  stopped: 'gray',
} as const;
/**
 * A task's state in the board's words (src/client/task-labels.ts): a running task waiting on an
 * approval reads "Needs approval" here as there. `--json` keeps the machine values.
 */
function statusLabel(
  task: Pick<TaskView, 'status' | 'stopRequested'>,
  activity?: TaskActivity,
  width = 14,
): string {
  const label = taskStateLabel({ status: task.status, activity, stopRequested: task.stopRequested });
  const waiting = activity === 'awaiting-approval' && task.status === 'running';
  return styleText(waiting ? 'yellow' : STATUS_COLORS[task.status], label.padEnd(width));
}

function taskLine(task: TaskView, activity?: TaskActivity): string {
  const goal = task.goal.replace(/\s+/g, ' ');
  return `${task.id}  ${statusLabel(task, activity)}  ${styleText('dim', task.viberId)}  ${goal.length > 60 ? `${goal.slice(0, 60)}…` : goal}`;
}

/**
 * What each running task is doing, as the board learns it (the `events.ready` of /api/events).
 * Only for the labels: a gateway that does not answer within a few seconds leaves them plain.
 */
async function runningActivities(client: GatewayClient): Promise<Record<string, TaskActivity>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3000);
  try {
    for await (const item of followBoardEvents(client, { signal: controller.signal })) {
      if (item.kind === 'ready') return item.event.activities;
      if (item.kind === 'disconnected') return {};
    }
  } catch {
    // No labels beyond the status is still a correct list.
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return {};
}

/** Streams a task's conversation to the terminal until it ends; resumes across gateway restarts. */
export async function followTask(client: GatewayClient, taskId: string): Promise<TaskView> {
  const renderer = new ChunkRenderer();
  // On a terminal each approval is asked inline, as `viber run` does; otherwise it says how to answer.
  const approvals = new TerminalApprovals((approvalId, approved, reason) =>
    client
      .call('tasks.approve', {
        params: { id: taskId, approvalId },
        idempotencyKey: randomUUID(),
        body: { approved, ...(reason ? { reason } : {}) },
      })
      .then(
        () => undefined,
        // Answered elsewhere meanwhile (the board, another terminal) or the task ended: say so, go on.
        (error: Error) =>
          void process.stderr.write(`${styleText('yellow', 'not answered:')} ${error.message}\n`),
      ),
  );
  renderer.onApprovalRequest = (approvalId) => {
    if (approvals.interactive) return approvals.ask(approvalId);
    process.stderr.write(
      styleText(
        'dim',
        `  answer with: viber task approve ${taskId} ${approvalId}   (or: viber task deny ${taskId} ${approvalId})\n`,
      ),
    );
  };
  renderer.waiting('waiting for the viber');
  const stream = client.followTaskStream(taskId, {
    onReconnect: ({ attempt }) => renderer.waiting(`connection lost; resuming (attempt ${attempt})`),
  });
  try {
    for await (const { chunk } of stream) renderer.render(chunk);
  } finally {
    approvals.close();
  }
  renderer.finish();
  const { task } = await client.call('tasks.get', { params: { id: taskId } });
  // The stream already showed the task's error: the last line says only how it ended.
  const tail = task.error && !renderer.showedError(task.error) ? `: ${task.error}` : '';
  process.stderr.write(`${statusLabel(task, undefined, 0)}${tail}\n`);
  return task;
}

export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('create, watch and steer tasks over the REST API');

  addClientOptions(task.command('create').argument('<goal...>', 'what the viber should do'))
    .description('create a task on a viber')
    .option('--viber <id>', 'viber to run it (optional when only one is registered)')
    .option('--env <environmentId>', 'run it inside an environment (on a viber where it is ready)')
    .option('--model <provider/model>', 'model, e.g. openai/gpt-4.1 or custom/llama3.1')
    .option('--mode <mode>', 'autonomy: always-ask, agent-decides or always-execute')
    .option('--follow', 'stream the task until it ends')
    .action(
      async (
        goalWords: string[],
        flags: ClientFlags & {
          viber?: string;
          env?: string;
          model?: string;
          mode?: string;
          follow?: boolean;
        },
      ) => {
        const options = {
          ...(flags.model
            ? { model: checkedOption('--model', ModelRefSchema, flags.model, MODEL_EXAMPLE) }
            : {}),
          ...(flags.mode ? { mode: checkedOption('--mode', AutonomyModeSchema, flags.mode) } : {}),
          ...(flags.env ? { environmentId: flags.env } : {}),
        };
        const client = clientFromFlags(flags, resolveHome());
        const created = await client.call('tasks.create', {
          // One key per invocation: a retried request never creates a second task.
          idempotencyKey: randomUUID(),
          body: { goal: goalWords.join(' '), ...(flags.viber ? { viberId: flags.viber } : {}), options },
        });
        if (!flags.follow) return print(flags, created, () => created.id);
        process.stderr.write(`${styleText('dim', `task ${created.id} on ${created.viberId}`)}\n`);
        const final = await followTask(client, created.id);
        if (final.status !== 'completed') process.exitCode = 1;
      },
    );

  addPageOptions(addClientOptions(task.command('list')))
    .description('list tasks, newest first, a page at a time')
    .option('--status <status>', 'only tasks in this state')
    .option('--viber <id>', 'only tasks of this viber')
    .option('--env <environment>', 'only tasks in this environment (id or name)')
    .action(async (flags: ClientFlags & PageFlags & { status?: string; viber?: string; env?: string }) => {
      const filters = {
        ...(flags.status ? { status: checkedOption('--status', TaskStatusSchema, flags.status) } : {}),
        ...(flags.viber ? { viberId: flags.viber } : {}),
        ...(flags.env ? { environmentId: flags.env } : {}),
      };
      const client = clientFromFlags(flags, resolveHome());
      const read = await readListPages(
        flags,
        (page) => client.call('tasks.list', { query: { ...filters, ...page } }),
        (page) => page.tasks,
      );
      const activities =
        !flags.json && read.rows.some((row) => row.status === 'running')
          ? await runningActivities(client)
          : {};
      printRows(read, flags.json, (row) => taskLine(row, activities[row.id]), 'no tasks yet');
    });

  addClientOptions(task.command('show').argument('<taskId>'))
    .description('show a task, its lifecycle events and follow-up messages')
    .action(async (taskId: string, flags: ClientFlags) => {
      const detail = await clientFromFlags(flags, resolveHome()).call('tasks.get', {
        params: { id: taskId },
      });
      print(flags, detail, () => describeTask(detail));
    });

  addClientOptions(task.command('stop').argument('<taskId>'))
    .description('stop a task: ends the model call and every process it started')
    .action(async (taskId: string, flags: ClientFlags) => {
      const stopped = await clientFromFlags(flags, resolveHome()).call('tasks.stop', {
        params: { id: taskId },
        idempotencyKey: randomUUID(),
      });
      print(flags, stopped, () => taskLine(stopped));
    });

  addClientOptions(task.command('send').argument('<taskId>').argument('<message...>'))
    .description('send a follow-up message to a running task')
    .option('--mode <mode>', 'injection mode: collect, steer or followup', 'followup')
    .action(async (taskId: string, words: string[], flags: ClientFlags & { mode: string }) => {
      const injectionMode = checkedOption('--mode', InjectionModeSchema, flags.mode);
      const sent = await clientFromFlags(flags, resolveHome()).call('tasks.message', {
        params: { id: taskId },
        idempotencyKey: randomUUID(),
        body: { message: words.join(' '), injectionMode },
      });
      print(flags, sent, () => `${sent.id} queued (${sent.injectionMode})`);
    });

  for (const [verb, approved] of [
    ['approve', true],
    ['deny', false],
  ] as const) {
    addClientOptions(task.command(verb).argument('<taskId>').argument('<approvalId>'))
      .description(`${verb} a tool call the task is waiting on`)
      .option('--reason <text>', 'why (the model is told)')
      .action(async (taskId: string, approvalId: string, flags: ClientFlags & { reason?: string }) => {
        const answer = await clientFromFlags(flags, resolveHome()).call('tasks.approve', {
          params: { id: taskId, approvalId },
          idempotencyKey: randomUUID(),
          body: { approved, ...(flags.reason ? { reason: flags.reason } : {}) },
        });
        print(flags, answer, () => `${approved ? 'approved' : 'denied'} ${approvalId}`);
      });
  }

  addClientOptions(task.command('report').argument('<taskId>'))
    .description("show a task's final report: each claim with the evidence that proves it")
    .action(async (taskId: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const report = await client.call('tasks.report', { params: { id: taskId } });
      print(flags, report, () => describeReport(report, client));
    });

  addClientOptions(task.command('logs').argument('<taskId>'))
    .description("print a task's conversation; follows it live until it ends")
    .action(async (taskId: string, flags: ClientFlags) => {
      const final = await followTask(clientFromFlags(flags, resolveHome()), taskId);
      if (flags.json) print(flags, final, () => '');
    });
}

function describeTask(detail: TaskDetailResponse): string {
  const { task, events, messages } = detail;
  const lines = [
    `${styleText('bold', task.id)}  ${statusLabel(task, activityOf(events))}`,
    `  goal      ${task.goal}`,
    `  viber     ${task.viberId}`,
    `  created   ${task.createdAt}${task.startedAt ? `   started ${task.startedAt}` : ''}${task.endedAt ? `   ended ${task.endedAt}` : ''}`,
  ];
  if (task.options.model || task.options.mode) lines.push(`  options   ${JSON.stringify(task.options)}`);
  if (task.usage) {
    const cost = task.usage.costUsd ? `, $${task.usage.costUsd.toFixed(4)}` : '';
    lines.push(`  usage     ${task.usage.inputTokens} in / ${task.usage.outputTokens} out tokens${cost}`);
  }
  if (task.error) lines.push(`  ${styleText('red', 'error')}     ${task.error}`);
  if (task.result?.text) lines.push(`  result    ${task.result.text.slice(0, 500)}`);
  lines.push(...taskTreeLines(detail));
  if (events.length)
    lines.push(
      '  events',
      ...events.map((event) => `    #${event.seq} ${event.at} ${event.type} ${eventDetail(event.data)}`),
    );
  if (messages.length) {
    lines.push(
      '  messages',
      ...messages.map(
        (m) => `    ${m.id} [${m.injectionMode}] ${m.deliveredAt ? 'delivered' : 'queued'}: ${m.message}`,
      ),
    );
  }
  return lines.join('\n');
}

/** What a running task was last doing, from its stored lifecycle events (as the board reads them). */
function activityOf(events: TaskDetailResponse['events']): TaskActivity | undefined {
  for (const event of [...events].reverse()) {
    const progress = ProgressDataSchema.safeParse(event.data);
    if (progress.success && progress.data.event.kind === 'status') return progress.data.event.detail;
  }
  return undefined;
}

/** What a lifecycle event's data may say (the table types it `unknown`: each type has its own). */
const ProgressDataSchema = z.object({ event: TaskProgressEventSchema });
const ErrorDataSchema = z.object({ error: z.string() });
const StopDataSchema = z.object({ reason: z.string() });

/** The interesting part of a lifecycle event: a progress detail, usage, an error or stop reason. */
function eventDetail(data: unknown): string {
  const progress = ProgressDataSchema.safeParse(data);
  if (progress.success) {
    const { event } = progress.data;
    if (event.kind === 'status') return styleText('dim', event.detail);
    if (event.kind === 'usage') return styleText('dim', `${event.usage.totalTokens} tokens`);
    return styleText('dim', `${event.messageId} (${event.injectionMode})`);
  }
  const failed = ErrorDataSchema.safeParse(data);
  if (failed.success) return styleText('red', failed.data.error);
  const stopped = StopDataSchema.safeParse(data);
  return stopped.success ? styleText('dim', stopped.data.reason) : '';
}
