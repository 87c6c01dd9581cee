import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import {
  type ApprovalBody,
  type CreateTaskBody,
  type DocumentCommand,
  DocumentCommandSchema,
  type GatewayCommand,
  isTerminalTaskStatus,
  type TaskMessageBody,
} from '../../protocol/index.ts';
import { CHANGES, VIBER_OUTBOX } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import {
  type GatewayStore,
  type NewCommand,
  newTaskRecord,
  type TaskMessageRecord,
  type TaskOutboxView,
  type TaskRecord,
  type TaskTreePlace,
  type TaskUpdate,
} from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';
import { PendingApprovals, type WaitingApproval } from './pending-approvals.ts';
import { numberTaskEvents, toAppend } from './task-event-log.ts';

type TaskCommand = Extract<GatewayCommand, { taskId: string }>;
type CommandBody = TaskCommand extends infer C
  ? C extends TaskCommand
    ? Omit<C, 'commandId'>
    : never
  : never;

const OUTBOX_PAGE = 500;

/** A command for the durable outbox: the wire message is serialised once, here. */
export function outboxCommand(viberId: string, body: CommandBody): NewCommand {
  const commandId = newId('command');
  return {
    commandId,
    viberId,
    taskId: body.taskId,
    type: body.type,
    message: JSON.stringify({ ...body, commandId }),
    createdAt: new Date().toISOString(),
  };
}

/**
 * A new pending task on `viberId` and its `task:submit` command, as createTask stores them; a
 * scheduled job's run (jobs/job-runner.ts) stores the same pair in its own transaction.
 */
export function newTaskSubmission(
  viberId: string,
  body: CreateTaskBody,
  place?: TaskTreePlace,
): { task: TaskRecord; submit: NewCommand } {
  const task = newTaskRecord(
    {
      id: newId('task'),
      viberId,
      goal: body.goal,
      messages: body.messages ?? null,
      options: body.options ?? {},
      ...place,
    },
    new Date().toISOString(),
  );
  const submit = outboxCommand(viberId, {
    type: 'task:submit',
    taskId: task.id,
    goal: task.goal,
    ...(body.messages ? { messages: body.messages } : {}),
    ...(body.options ? { options: body.options } : {}),
  });
  return { task, submit };
}

const taskFinished = (task: TaskRecord) =>
  new OpenViberError('task_finished', `task ${task.id} already finished (${task.status})`, 409);

export interface TaskRouterDeps {
  store: GatewayStore;
  bus: TopicBus;
  connections: ConnectionRegistry;
  log: Logger;
}

/**
 * Moves operator intent to daemons: every command goes into the durable outbox first and out on
 * the viber's socket when it is connected; it leaves the outbox only on the daemon's `command:ack`
 * (DESIGN.md, rule 4). A daemon without the `command-ack` extension cannot acknowledge: it gets
 * each command in the protocol document's shape, at most once (#sendOnce).
 */
export class TaskRouter {
  readonly #deps: TaskRouterDeps;
  readonly #approvals: PendingApprovals;

  constructor(deps: TaskRouterDeps) {
    this.#deps = deps;
    this.#approvals = new PendingApprovals(deps.store, deps.bus);
    // Commands another gateway queued for a viber whose socket is here; after the bus was cut off
    // (a notice may have been lost), every viber here looks at its outbox again.
    deps.bus.subscribe(VIBER_OUTBOX, ({ viberId }) => {
      const connection = deps.connections.get(viberId);
      if (connection?.ready) this.#deliverNew(connection);
    });
    deps.bus.subscribe(CHANGES, (change) => {
      if (change.type !== 'bus.resynced') return;
      for (const connection of deps.connections.all()) if (connection.ready) this.#deliverNew(connection);
    });
  }

  /** `place`: a delegated child's place in its tree (tasks/task-delegation.ts). */
  async createTask(body: CreateTaskBody, place?: TaskTreePlace): Promise<TaskRecord> {
    const viberId = await this.#chooseViber(body.viberId);
    const { task, submit } = newTaskSubmission(viberId, body, place);
    await this.#deps.store.insertTask(task, submit);
    this.#deps.log.info({ taskId: task.id, viberId }, 'task created');
    this.#sendNow(submit);
    return task;
  }

  async #chooseViber(requested: string | undefined): Promise<string> {
    if (requested) {
      const viber = await this.#deps.store.getViber(requested);
      if (!viber) throw new OpenViberError('not_found', `viber ${requested} not found`, 404);
      if (viber.revokedAt) throw new OpenViberError('conflict', `viber ${requested} was revoked`, 409);
      return viber.id;
    }
    const vibers = await this.#deps.store.listVibers();
    if (vibers.length === 1) return vibers[0]!.id;
    if (vibers.length === 0) {
      throw new OpenViberError('no_viber', 'no viber is registered: register one with POST /api/vibers', 400);
    }
    throw new OpenViberError(
      'validation_failed',
      `viberId: required when more than one viber is registered (${vibers.length} are)`,
      400,
    );
  }

  /**
   * Stop: a task the daemon never received, or whose viber is offline, stops now; otherwise the
   * daemon is asked and reports `task:stopped` itself.
   */
  async stopTask(taskId: string): Promise<TaskRecord> {
    const task = await this.#requireTask(taskId);
    const online = this.#deps.connections.isOnline(task.viberId);
    const result = await this.#deps.store.updateTask(taskId, (current, outbox): TaskUpdate | null => {
      if (isTerminalTaskStatus(current.status)) throw taskFinished(current);
      const endedAt = new Date().toISOString();
      if (current.status === 'pending' && outbox.types.has('task:submit')) {
        const error = 'stopped by the operator before the viber received the task';
        return { patch: { status: 'stopped', error, endedAt, stopRequested: true }, dropCommands: 'all' };
      }
      if (!online) {
        const error = `stopped by the operator while viber ${current.viberId} was offline`;
        return { patch: { status: 'stopped', error, endedAt, stopRequested: true }, dropCommands: 'all' };
      }
      if (current.stopRequested) return null;
      const stop = outboxCommand(current.viberId, { type: 'task:stop', taskId });
      return { patch: { stopRequested: true }, enqueue: stop };
    });
    if (!result) throw notFound(taskId);
    this.#afterUpdate(result.update);
    this.#deps.log.info({ taskId, status: result.task.status }, 'task stop requested');
    await this.stopDescendants(taskId);
    return result.task;
  }

  /** Stopping a task stops the tasks it delegated, and theirs (docs/delegation.md). */
  async stopDescendants(taskId: string): Promise<void> {
    for (const child of await this.#deps.store.listLiveDescendants(taskId)) {
      await this.stopTask(child.id).catch((error: unknown) => {
        if (!(error instanceof OpenViberError && error.code === 'task_finished')) throw error;
      });
    }
  }

  /** Sends a command another concept queued in its own transaction (a child's end for its parent). */
  sendQueued(command: NewCommand): void {
    this.#sendNow(command);
  }

  async sendMessage(taskId: string, body: TaskMessageBody): Promise<TaskMessageRecord> {
    const message: TaskMessageRecord = {
      id: newId('message'),
      taskId,
      message: body.message,
      injectionMode: body.injectionMode,
      createdAt: new Date().toISOString(),
      deliveredAt: null,
    };
    const result = await this.#deps.store.updateTask(taskId, (task) => {
      if (isTerminalTaskStatus(task.status)) throw taskFinished(task);
      const command = outboxCommand(task.viberId, {
        type: 'task:message',
        taskId,
        messageId: message.id,
        message: message.message,
        injectionMode: message.injectionMode,
      });
      return { message, enqueue: command };
    });
    if (!result) throw notFound(taskId);
    this.#afterUpdate(result.update);
    return message;
  }

  /**
   * Queues the operator's answer to a tool approval request, only when the task is waiting for it:
   * an unknown id is 404, an id already answered 409 (PendingApprovals), a finished task 409.
   */
  async sendApproval(taskId: string, approvalId: string, body: ApprovalBody): Promise<void> {
    const task = await this.#requireTask(taskId);
    if (isTerminalTaskStatus(task.status)) throw taskFinished(task);
    await this.#approvals.claim(taskId, approvalId, body.approved);
    try {
      const result = await this.#deps.store.updateTask(taskId, (current) => {
        if (isTerminalTaskStatus(current.status)) throw taskFinished(current);
        const command = outboxCommand(current.viberId, {
          type: 'task:approval',
          taskId,
          approvalId,
          approved: body.approved,
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
        });
        return { enqueue: command };
      });
      if (!result) throw notFound(taskId);
      this.#afterUpdate(result.update);
    } catch (error) {
      this.#approvals.release(taskId, approvalId);
      throw error;
    }
  }

  /** The tool calls the task waits on for an answer (none once it has ended). */
  async waitingApprovals(taskId: string): Promise<WaitingApproval[]> {
    const task = await this.#requireTask(taskId);
    return isTerminalTaskStatus(task.status) ? [] : this.#approvals.waiting(taskId);
  }

  /** Ends a task on the gateway's own authority (grace period over, viber restarted without it). */
  async endTask(
    taskId: string,
    reason: string,
    stillApplies: (task: TaskRecord, outbox: TaskOutboxView) => boolean,
  ): Promise<boolean> {
    const result = await this.#deps.store.updateTask(taskId, (task, outbox) => {
      if (isTerminalTaskStatus(task.status) || !stillApplies(task, outbox)) return null;
      return {
        patch: { status: 'error', error: reason, endedAt: new Date().toISOString() },
        dropCommands: 'all',
      };
    });
    if (!result?.update) return false;
    this.#deps.log.warn({ taskId, viberId: result.task.viberId, reason }, 'task ended by the gateway');
    this.#afterUpdate(result.update);
    return true;
  }

  /** Queues a `task:stop` for a task the daemon still runs although the gateway ended it. */
  async stopOrphan(taskId: string): Promise<void> {
    const result = await this.#deps.store.updateTask(taskId, (task, outbox) =>
      outbox.types.has('task:stop')
        ? null
        : { enqueue: outboxCommand(task.viberId, { type: 'task:stop', taskId }) },
    );
    if (result) this.#afterUpdate(result.update);
  }

  /**
   * Sends every outstanding command of the viber in creation order, then marks the connection
   * ready. One more pass after that catches a command queued in between; a command sent twice is
   * harmless (the daemon acts on a commandId once), except to a daemon that cannot acknowledge
   * commands, which #sendOnce never sends one twice.
   */
  async deliverOutbox(connection: ViberConnection): Promise<void> {
    let after = 0;
    for (;;) {
      const commands = await this.#deps.store.listCommands(connection.viberId, after, OUTBOX_PAGE);
      if (connection.closed) return;
      for (const command of commands) {
        after = command.seq;
        connection.sentCommandSeq = Math.max(connection.sentCommandSeq, after);
        if (connection.acknowledgesCommands) connection.send(command.message);
        else await this.#sendOnce(connection, command);
      }
      if (commands.length === OUTBOX_PAGE) continue;
      if (connection.ready) return;
      connection.ready = true;
    }
  }

  /**
   * The commands queued since the last one sent on this connection, after another gateway said
   * there are some (VIBER_OUTBOX). One pass at a time per connection; a pass asked for meanwhile
   * runs once after it. A command sent twice is acted on once by the daemon (its commandId).
   */
  #deliverNew(connection: ViberConnection): void {
    if (connection.delivering) {
      connection.deliverAgain = true;
      return;
    }
    connection.delivering = true;
    const pass = async () => {
      do {
        connection.deliverAgain = false;
        for (;;) {
          const commands = await this.#deps.store.listCommands(
            connection.viberId,
            connection.sentCommandSeq,
            OUTBOX_PAGE,
          );
          if (connection.closed) return;
          for (const command of commands) {
            connection.sentCommandSeq = Math.max(connection.sentCommandSeq, command.seq);
            if (connection.acknowledgesCommands) connection.send(command.message);
            else await this.#sendOnce(connection, command);
          }
          if (commands.length < OUTBOX_PAGE) break;
        }
      } while (connection.deliverAgain);
    };
    pass()
      .catch((error: unknown) => connection.log.error({ err: error }, 'failed to send queued commands'))
      .finally(() => {
        connection.delivering = false;
      });
  }

  async acknowledge(connection: ViberConnection, commandId: string): Promise<void> {
    const command = await this.#deps.store.acknowledgeCommand(
      connection.viberId,
      commandId,
      new Date().toISOString(),
    );
    connection.log.debug({ commandId, type: command?.type, taskId: command?.taskId }, 'command acknowledged');
  }

  /** The store told the change feed; what is left is sending a queued command now. */
  #afterUpdate(update: TaskUpdate | null): void {
    if (update?.enqueue) this.#sendNow(update.enqueue);
  }

  #sendNow(command: NewCommand): void {
    const connection = this.#deps.connections.get(command.viberId);
    if (!connection) {
      // Its socket may be on another gateway: that one sends it from the shared outbox.
      this.#deps.bus.publish(VIBER_OUTBOX, { viberId: command.viberId });
      return;
    }
    if (!connection.ready) return;
    if (connection.acknowledgesCommands) {
      connection.send(command.message);
      return;
    }
    this.#sendOnce(connection, command).catch((error: unknown) =>
      connection.log.error({ err: error, commandId: command.commandId }, 'failed to send a command'),
    );
  }

  /**
   * A command for a daemon that cannot acknowledge it (no `command-ack`): sent in the protocol
   * document's shape (no `commandId`), and marked delivered in the outbox as it is written, so it
   * is never sent again, on this connection or the next. The mark comes first and only one sender
   * gets it: a command both the flush on connect and a new request reach goes out once. Should the
   * socket be gone by the write, a task command goes back in the outbox for the next connection.
   */
  async #sendOnce(connection: ViberConnection, command: NewCommand): Promise<void> {
    const shape = documentCommandOf(command.message);
    if (!shape) return this.#withhold(connection, command);
    if (!connection.isOpen) return;
    const at = new Date().toISOString();
    const claimed = await this.#deps.store.acknowledgeCommand(connection.viberId, command.commandId, at);
    if (!claimed) return; // already sent, or dropped with its task
    const fields = { commandId: claimed.commandId, type: claimed.type, taskId: claimed.taskId };
    if (connection.send(shape)) {
      connection.log.debug(fields, 'command sent once (the daemon cannot acknowledge commands)');
      return;
    }
    connection.log.warn(fields, 'the socket closed before the command was written: queued again');
    if (claimed.taskId) await this.#requeue(claimed.taskId, claimed);
  }

  async #requeue(taskId: string, command: NewCommand): Promise<void> {
    const commandId = newId('command');
    const again: NewCommand = {
      commandId,
      viberId: command.viberId,
      taskId,
      type: command.type,
      message: JSON.stringify({ ...(JSON.parse(command.message) as object), commandId }),
      createdAt: new Date().toISOString(),
    };
    await this.#deps.store.updateTask(taskId, (task) =>
      isTerminalTaskStatus(task.status) ? null : { enqueue: again },
    );
  }

  /**
   * A command the protocol document has no shape for, to a daemon that cannot acknowledge commands:
   * not sent. An approval answer is dropped, and the task's stream says why; an environment command
   * stays in the outbox, for the viber's next connection that can take it.
   */
  async #withhold(connection: ViberConnection, command: NewCommand): Promise<void> {
    const fields = { commandId: command.commandId, type: command.type, taskId: command.taskId };
    if (command.type !== 'task:approval' || !command.taskId) {
      connection.log.warn(
        fields,
        'command not sent: this daemon cannot acknowledge commands (no command-ack)',
      );
      return;
    }
    const at = new Date().toISOString();
    if (!(await this.#deps.store.acknowledgeCommand(connection.viberId, command.commandId, at))) return;
    connection.log.warn(
      fields,
      'approval not sent: this daemon cannot acknowledge commands, and the protocol document has no approvals',
    );
    if (!connection.numbersEvents) this.#reportToTask(connection, command.taskId, APPROVAL_REFUSED);
  }

  /**
   * An error chunk the gateway adds to the stream of a task whose daemon numbers nothing (no
   * `seq`): numbered after the task's last stored event, in the connection's queue, so it takes
   * its place among the daemon's own events.
   */
  #reportToTask(connection: ViberConnection, taskId: string, errorText: string): void {
    const { store } = this.#deps;
    connection.serialize(async () => {
      const events = await numberTaskEvents(store, [
        { type: 'task:stream-chunk', taskId, chunk: { type: 'error', errorText } },
      ]);
      const at = new Date().toISOString();
      await store.appendTaskEvents(
        connection.viberId,
        events.map((event) => toAppend(event, at)),
      );
    });
  }

  async #requireTask(taskId: string): Promise<TaskRecord> {
    const task = await this.#deps.store.getTask(taskId);
    if (!task) throw notFound(taskId);
    return task;
  }
}

const APPROVAL_REFUSED =
  "the operator's approval answer was not delivered: this viber's daemon speaks only the protocol document's frames, which carry no approvals";

/** A command's outbox text in the protocol document's shape, or undefined when it has none. */
function documentCommandOf(text: string): DocumentCommand | undefined {
  const parsed = DocumentCommandSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

const notFound = (taskId: string) => new OpenViberError('not_found', `task ${taskId} not found`, 404);
