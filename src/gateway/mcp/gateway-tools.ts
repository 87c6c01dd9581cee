import { OpenViberError } from '../../core/errors.ts';
import {
  type CreateTaskBody,
  type GatewayMcpToolInput,
  type GatewayMcpToolName,
  type GatewayMcpToolResult,
  isTerminalTaskStatus,
  type TaskOptions,
} from '../../protocol/index.ts';
import type { Principal } from '../auth/principal.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import { CURSORS, nextCursor, pageRequest } from '../http/page-cursor.ts';
import type { IdempotencyStore, TaskRecord, TasksStore } from '../store/index.ts';
import { readTaskReport } from '../tasks/task-report.ts';
import type { TaskRouter } from '../tasks/task-router.ts';
import type { TaskPlacement } from '../tasks/task-routes.ts';
import { toTaskMessageView, toTaskView } from '../tasks/task-views.ts';
import type { ViberService } from '../vibers/viber-service.ts';
import { CreateTaskKeys } from './create-task-keys.ts';
import { StreamText, toolNamesBefore, unnamedToolCalls } from './stream-text.ts';
import { waitForTask } from './task-waiter.ts';
import { approvalsText, messagesText, paragraphs, reportText, taskText, vibersText } from './tool-text.ts';

export interface GatewayToolDeps {
  store: TasksStore & IdempotencyStore;
  bus: TopicBus;
  router: TaskRouter;
  vibers: ViberService;
  placement: TaskPlacement;
}

/** Who calls, and how the call may report back while it runs. */
export interface ToolCallContext {
  principal: Principal;
  /** Aborted when the client cancels the call or the gateway closes. */
  signal: AbortSignal;
  /** Aborted when the gateway closes (a wait then answers that it stopped for that). */
  closing: AbortSignal;
  /** Present when the request asked for progress notifications (a progressToken). */
  progress?: (progress: number, message: string) => Promise<void>;
}

/** A tool's answer: a text for the model and the structured content its result schema describes. */
export interface ToolAnswer<N extends GatewayMcpToolName> {
  text: string;
  data: GatewayMcpToolResult<N>;
}

type Handlers = {
  [N in GatewayMcpToolName]: (input: GatewayMcpToolInput<N>, call: ToolCallContext) => Promise<ToolAnswer<N>>;
};

const WAIT_DEFAULT_SECONDS = 50;
const FOLLOW_DEFAULT_EVENTS = 500;

/**
 * The tools of the gateway's MCP server (src/protocol/gateway-mcp-tools.ts), each over the
 * services its REST route uses (the task router, the store, the report, the viber service), never
 * over HTTP: a tool fails with the same OpenViberError, code and message, its route would answer.
 */
export class GatewayTools {
  readonly #deps: GatewayToolDeps;
  readonly #keys: CreateTaskKeys;
  readonly #handlers: Handlers;

  constructor(deps: GatewayToolDeps) {
    this.#deps = deps;
    this.#keys = new CreateTaskKeys(deps.store);
    this.#handlers = {
      list_vibers: (input) => this.#listVibers(input),
      create_task: (input, call) => this.#createTask(input, call),
      get_task: (input) => this.#getTask(input.taskId),
      wait_for_task: (input, call) => this.#waitForTask(input, call),
      follow_task: (input) => this.#followTask(input),
      answer_approval: (input) => this.#answerApproval(input),
      get_report: async ({ taskId }) => {
        const report = await readTaskReport(this.#deps.store, taskId);
        return { text: reportText(report), data: report };
      },
      stop_task: async ({ taskId }) => {
        const task = toTaskView(await this.#deps.router.stopTask(taskId));
        const note =
          task.status === 'stopped'
            ? ''
            : '\nThe viber was asked to stop it; it ends as stopped when it has.';
        return { text: `${taskText(task)}${note}`, data: { task } };
      },
    };
  }

  /** Runs a tool on arguments its input schema has already parsed. */
  call<N extends GatewayMcpToolName>(
    name: N,
    input: GatewayMcpToolInput<N>,
    call: ToolCallContext,
  ): Promise<ToolAnswer<N>> {
    return (this.#handlers[name] as Handlers[N])(input, call);
  }

  async #listVibers(input: GatewayMcpToolInput<'list_vibers'>): Promise<ToolAnswer<'list_vibers'>> {
    const { limit, cursor, presence, q } = input;
    const page = await this.#deps.vibers.page({
      ...pageRequest(CURSORS.vibers, { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) }),
      ...(presence ? { presence } : {}),
      ...(q !== undefined ? { q } : {}),
    });
    const next = nextCursor(CURSORS.vibers, page);
    return { text: vibersText(page.items, next), data: { vibers: page.items, nextCursor: next } };
  }

  async #createTask(
    input: GatewayMcpToolInput<'create_task'>,
    call: ToolCallContext,
  ): Promise<ToolAnswer<'create_task'>> {
    const { idempotencyKey, goal, viberId, environment, mode, model, cwd, maxSteps } = input;
    const options: TaskOptions = {
      ...(model ? { model } : {}),
      ...(mode ? { mode } : {}),
      ...(cwd ? { cwd } : {}),
      ...(maxSteps ? { maxSteps } : {}),
      ...(environment ? { environmentId: environment } : {}),
    };
    const body: CreateTaskBody = {
      goal,
      ...(viberId ? { viberId } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
    const create = async () => {
      // A task in an environment goes to a viber where the environment is ready, as over REST.
      const placed = await this.#deps.placement.place(body);
      return (await this.#deps.router.createTask(placed)).id;
    };
    const { taskId, replayed } = idempotencyKey
      ? await this.#keys.once(call.principal.deviceId, idempotencyKey, body, create)
      : { taskId: await create(), replayed: false };
    const task = toTaskView(await this.#requireTask(taskId));
    const how = replayed ? 'Already created by an earlier call with this idempotencyKey.' : 'Created.';
    const next = 'Call wait_for_task for its answer, or follow_task to read its progress.';
    return { text: `${how}\n${taskText(task)}\n${next}`, data: { task, replayed } };
  }

  async #getTask(taskId: string): Promise<ToolAnswer<'get_task'>> {
    const record = await this.#requireTask(taskId);
    const [messages, approvals] = await Promise.all([
      this.#deps.store.listTaskMessages(taskId),
      this.#deps.router.waitingApprovals(taskId),
    ]);
    const task = toTaskView(record);
    const views = messages.map(toTaskMessageView);
    return {
      text: paragraphs(taskText(task), approvalsText(approvals), messagesText(views)),
      data: { task, pendingApprovals: approvals, messages: views },
    };
  }

  async #waitForTask(
    input: GatewayMcpToolInput<'wait_for_task'>,
    call: ToolCallContext,
  ): Promise<ToolAnswer<'wait_for_task'>> {
    const seconds = input.timeoutSeconds ?? WAIT_DEFAULT_SECONDS;
    const { progress } = call;
    const result = await waitForTask(
      { store: this.#deps.store, bus: this.#deps.bus, approvals: this.#deps.router },
      input.taskId,
      {
        timeoutMs: seconds * 1000,
        signal: call.signal,
        ...(progress
          ? {
              onProgress: (task: TaskRecord) =>
                progress(task.lastSeq, `${task.status}: ${task.lastSeq} events`),
            }
          : {}),
      },
    );
    const task = toTaskView(result.task);
    const answer = task.status === 'completed' ? (task.result?.text ?? '') : null;
    const outcome = {
      finished: '',
      'awaiting-approval': '',
      timeout: call.closing.aborted
        ? `Still ${task.status}, but the gateway is closing: call wait_for_task again once it is back.`
        : `Still ${task.status} after ${seconds} s: call wait_for_task again.`,
    }[result.outcome];
    return {
      text: paragraphs(taskText(task), approvalsText(result.approvals), outcome),
      data: { task, outcome: result.outcome, answer, pendingApprovals: result.approvals },
    };
  }

  async #followTask(input: GatewayMcpToolInput<'follow_task'>): Promise<ToolAnswer<'follow_task'>> {
    const { taskId } = input;
    const after = input.after ?? 0;
    const limit = input.maxEvents ?? FOLLOW_DEFAULT_EVENTS;
    const task = await this.#requireTask(taskId);
    const rows = await this.#deps.store.readTaskLog(taskId, after, limit + 1);
    const read = rows.slice(0, limit);
    // A result whose call came before `after` still says which tool it was.
    const unnamed = unnamedToolCalls(read);
    const names =
      unnamed.size > 0 ? await toolNamesBefore(this.#deps.store, taskId, after, unnamed) : undefined;
    const stream = new StreamText(names);
    for (const row of read) stream.add(row);
    const cursor = read.at(-1)?.seq ?? after;
    const more = rows.length > limit;
    const ended = isTerminalTaskStatus(task.status) && !more && cursor >= task.lastSeq;
    const footer = ended
      ? `(The task has ended: ${task.status}. Nothing more will come.)`
      : more
        ? `(More is stored: call follow_task with after=${cursor}.)`
        : `(Cursor ${cursor}: the task is ${task.status}; call follow_task with after=${cursor} for what follows.)`;
    const text = read.length === 0 ? `(Nothing new after seq ${after}.)` : stream.text;
    return {
      text: `${text}${text.endsWith('\n') ? '' : '\n'}${footer}`,
      data: {
        taskId,
        status: task.status,
        after,
        cursor,
        events: read.length,
        text: stream.text,
        more,
        ended,
      },
    };
  }

  async #answerApproval(
    input: GatewayMcpToolInput<'answer_approval'>,
  ): Promise<ToolAnswer<'answer_approval'>> {
    const { taskId, approvalId, approved, reason } = input;
    await this.#deps.router.sendApproval(taskId, approvalId, {
      approved,
      ...(reason !== undefined ? { reason } : {}),
    });
    const text = approved
      ? `Approved ${approvalId}: task ${taskId} runs the tool call.`
      : `Denied ${approvalId}: task ${taskId} is told and carries on without it.`;
    return { text, data: { taskId, approvalId, approved } };
  }

  async #requireTask(taskId: string): Promise<TaskRecord> {
    const task = await this.#deps.store.getTask(taskId);
    if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
    return task;
  }
}
