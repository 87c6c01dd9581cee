import { randomUUID } from 'node:crypto';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { z } from 'zod';
import type { GatewayClient } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import {
  AutonomyModeSchema,
  type Evidence,
  InjectionModeSchema,
  ModelRefSchema,
  ScreenshotParamsSchema,
  type TaskDetailResponse,
  TaskProgressEventSchema,
  type TaskReport,
  TaskStatusSchema,
  type TaskView,
} from '../../protocol/index.ts';
import { ChunkRenderer } from '../chunk-renderer.ts';
import { checkedOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';
import { addPageOptions, type PageFlags, printRows, readListPages } from '../list-pages.ts';

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
const statusLabel = (status: TaskView['status']) => styleText(STATUS_COLORS[status], status.padEnd(9));

function taskLine(task: TaskView): string {
  const goal = task.goal.replace(/\s+/g, ' ');
  return `${task.id}  ${statusLabel(task.status)}  ${styleText('dim', task.viberId)}  ${goal.length > 60 ? `${goal.slice(0, 60)}…` : goal}`;
}

/** Streams a task's conversation to the terminal until it ends; resumes across gateway restarts. */
export async function followTask(client: GatewayClient, taskId: string): Promise<TaskView> {
  const renderer = new ChunkRenderer();
  renderer.onApprovalRequest = (approvalId) =>
    process.stderr.write(
      styleText(
        'dim',
        `  answer with: viber task approve ${taskId} ${approvalId}   (or: viber task deny …)\n`,
      ),
    );
  renderer.waiting('waiting for the viber');
  const stream = client.followTaskStream(taskId, {
    onReconnect: ({ attempt }) => renderer.waiting(`connection lost; resuming (attempt ${attempt})`),
  });
  for await (const { chunk } of stream) renderer.render(chunk);
  renderer.finish();
  const { task } = await client.call('tasks.get', { params: { id: taskId } });
  const tail = task.error ? `: ${task.error}` : '';
  process.stderr.write(`${statusLabel(task.status)}${tail}\n`);
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
          ...(flags.model ? { model: checkedOption('--model', ModelRefSchema, flags.model) } : {}),
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
      printRows(read, flags.json, taskLine, 'no tasks yet');
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

function describeTask({ task, events, messages }: TaskDetailResponse): string {
  const lines = [
    `${styleText('bold', task.id)}  ${statusLabel(task.status)}`,
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

/**
 * Where the gateway serves a screenshot the evidence names (GET /api/tasks/:id/screenshots/:name,
 * with the operator's credentials), or undefined when the evidence is not an image.
 */
function screenshotUrl(client: GatewayClient, taskId: string, evidence: Evidence): string | undefined {
  if (evidence.kind !== 'file' || !evidence.mediaType?.startsWith('image/')) return undefined;
  const name = evidence.path.split(/[\\/]/).at(-1) ?? '';
  if (!ScreenshotParamsSchema.shape.name.safeParse(name).success) return undefined;
  return client.url('tasks.screenshot', { params: { id: taskId, name } });
}

function describeReport(report: TaskReport, client: GatewayClient): string {
  const { verified, unverified } = report.counts;
  const lines = [
    `${styleText('bold', 'report')} ${report.taskId}  ${styleText('green', `${verified} verified`)}, ${styleText(unverified ? 'yellow' : 'dim', `${unverified} unverified`)}`,
    `  ${report.summary}`,
  ];
  for (const claim of report.claims) {
    const mark = claim.status === 'verified' ? styleText('green', '✓') : styleText('yellow', '?');
    lines.push(`  ${mark} ${claim.text}${claim.note ? styleText('dim', ` (${claim.note})`) : ''}`);
    for (const evidence of claim.evidence) {
      const proof =
        evidence.kind === 'tool-call'
          ? `${evidence.tool} ${evidence.input} → ${evidence.outputExcerpt.replace(/\s+/g, ' ').slice(0, 80)}`
          : evidence.kind === 'file'
            ? `file ${evidence.path} sha256:${evidence.sha256.slice(0, 12)}`
            : `url ${evidence.url} (${evidence.status})`;
      const image = screenshotUrl(client, report.taskId, evidence);
      if (image && evidence.kind === 'file') {
        lines.push(
          styleText(
            'dim',
            `      screenshot ${evidence.path} (on the viber) sha256:${evidence.sha256.slice(0, 12)}`,
          ),
        );
        lines.push(styleText('dim', `        ${image}`));
        continue;
      }
      lines.push(styleText('dim', `      ${proof}`));
    }
  }
  return lines.join('\n');
}
