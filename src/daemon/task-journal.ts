import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AgentCheckpoint, AgentFollowUp, AgentResume } from '../agent/agent-task.ts';
import type { TaskSubmit } from '../protocol/index.ts';

/** What the journal keeps of a running task, enough for a restarted daemon to resume it. */
export interface JournalTask {
  taskId: string;
  submit: TaskSubmit;
  spaceId: string;
  checkpoint: AgentCheckpoint | undefined;
  /** Tool calls started and not finished, and whether a UI message is open, from the stream. */
  inflight: InflightState;
  /** Follow-ups received and not yet taken into the conversation. */
  followUps: AgentFollowUp[];
}

interface InflightState {
  messageOpen: boolean;
  calls: Record<string, { toolName: string; input: unknown }>;
}

/**
 * The running tasks of this daemon, in `outbox.db` beside their events (daemon-db.ts): each
 * task's submit, its agent's last checkpoint, the tool calls in flight and the follow-ups not yet
 * applied. Written synchronously, so a killed process leaves what a restart needs; a task's row
 * goes when the task ends.
 */
export class TaskJournal {
  readonly #start: StatementSync;
  readonly #checkpoint: StatementSync;
  readonly #inflight: StatementSync;
  readonly #followUps: StatementSync;
  readonly #end: StatementSync;
  readonly #all: StatementSync;
  readonly #state = new Map<string, { inflight: InflightState; followUps: AgentFollowUp[] }>();

  constructor(db: DatabaseSync) {
    this.#start = db.prepare(
      `INSERT INTO running_tasks (task_id, submit) VALUES (?, ?)
       ON CONFLICT (task_id) DO UPDATE SET submit = excluded.submit`,
    );
    this.#checkpoint = db.prepare('UPDATE running_tasks SET checkpoint = ? WHERE task_id = ?');
    this.#inflight = db.prepare('UPDATE running_tasks SET inflight = ? WHERE task_id = ?');
    this.#followUps = db.prepare('UPDATE running_tasks SET followups = ? WHERE task_id = ?');
    this.#end = db.prepare('DELETE FROM running_tasks WHERE task_id = ?');
    this.#all = db.prepare('SELECT task_id, submit, checkpoint, inflight, followups FROM running_tasks');
  }

  /** Every task that was running when the previous process ended. */
  tasks(): JournalTask[] {
    return this.#all.all().map((row) => {
      const submit = JSON.parse(String(row.submit)) as { command: TaskSubmit; spaceId: string };
      const task: JournalTask = {
        taskId: String(row.task_id),
        submit: submit.command,
        spaceId: submit.spaceId,
        checkpoint: row.checkpoint ? (JSON.parse(String(row.checkpoint)) as AgentCheckpoint) : undefined,
        inflight: JSON.parse(String(row.inflight)) as InflightState,
        followUps: JSON.parse(String(row.followups)) as AgentFollowUp[],
      };
      task.inflight.calls ??= {};
      task.inflight.messageOpen ??= false;
      this.#state.set(task.taskId, { inflight: task.inflight, followUps: task.followUps });
      return task;
    });
  }

  start(taskId: string, command: TaskSubmit, spaceId: string): void {
    this.#start.run(taskId, JSON.stringify({ command, spaceId }));
    this.#state.set(taskId, { inflight: { messageOpen: false, calls: {} }, followUps: [] });
  }

  checkpoint(taskId: string, checkpoint: AgentCheckpoint): void {
    this.#checkpoint.run(JSON.stringify(checkpoint), taskId);
  }

  /** Follows the stream: open messages and tool calls without a result. */
  chunk(
    taskId: string,
    chunk: { type: string; toolCallId?: string; toolName?: string; input?: unknown },
  ): void {
    const state = this.#state.get(taskId);
    if (!state) return;
    const { inflight } = state;
    switch (chunk.type) {
      case 'start':
        inflight.messageOpen = true;
        break;
      case 'finish':
      case 'abort':
        inflight.messageOpen = false;
        break;
      case 'tool-input-available':
        inflight.calls[chunk.toolCallId ?? ''] = {
          toolName: chunk.toolName ?? 'unknown',
          input: chunk.input,
        };
        break;
      case 'tool-output-available':
      case 'tool-output-error':
      case 'tool-output-denied':
        if (!(chunk.toolCallId && chunk.toolCallId in inflight.calls)) return;
        delete inflight.calls[chunk.toolCallId];
        break;
      default:
        return;
    }
    this.#inflight.run(JSON.stringify(inflight), taskId);
  }

  followUp(taskId: string, followUp: AgentFollowUp): void {
    const state = this.#state.get(taskId);
    if (!state) return;
    state.followUps.push(followUp);
    this.#followUps.run(JSON.stringify(state.followUps), taskId);
  }

  applied(taskId: string, messageId: string): void {
    const state = this.#state.get(taskId);
    if (!state) return;
    state.followUps = state.followUps.filter((item) => item.id !== messageId);
    this.#followUps.run(JSON.stringify(state.followUps), taskId);
  }

  end(taskId: string): void {
    this.#end.run(taskId);
    this.#state.delete(taskId);
  }
}

/** What the agent is told when it picks the task up again. */
export function resumeOf(task: JournalTask): AgentResume {
  return {
    ...(task.checkpoint ? { checkpoint: task.checkpoint } : {}),
    messageOpen: task.inflight.messageOpen,
    interrupted: Object.entries(task.inflight.calls).map(([toolCallId, call]) => ({
      toolCallId,
      toolName: call.toolName,
      input: call.input,
    })),
    followUps: task.followUps,
  };
}
