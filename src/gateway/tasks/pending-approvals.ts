import { OpenViberError } from '../../core/errors.ts';
import { isTerminalTaskStatus } from '../../protocol/index.ts';
import { type TaskChange, taskTopic } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { TaskEventRecord, TasksStore } from '../store/index.ts';
import { isTerminalEventType } from './task-transitions.ts';

const LOG_PAGE = 500;
const STREAM_CHUNK = 'task:stream-chunk';

interface ApprovalChunk {
  type: 'tool-approval-request' | 'tool-approval-response';
  approvalId: string;
  toolCallId?: string;
  approved?: boolean;
  isAutomatic?: boolean;
}

/** A tool call the task waits on: asked in its stream, not answered there, and not claimed here. */
export interface WaitingApproval {
  approvalId: string;
  toolCallId: string | null;
  /** The tool and its input, from the call's `tool-input-available` chunk when the stream has it. */
  toolName: string | null;
  input: unknown;
}

/** What the task's stream says about one approval id. */
interface StreamedApproval {
  /** The last seq read. */
  seq: number;
  requested: boolean;
  /** The agent's `tool-approval-response`: the operator's answer, or its denial after a steer. */
  answer: boolean | null;
}

/** A stored chunk as an object, or null when its text is not one. */
function parseChunk(payload: string): Record<string, unknown> | null {
  try {
    const chunk: unknown = JSON.parse(payload);
    return typeof chunk === 'object' && chunk !== null ? (chunk as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A stream chunk about approvals, or null for any other row (parsed only when it may be one). */
function approvalChunk(type: string, payload: string): ApprovalChunk | null {
  if (type !== STREAM_CHUNK || !payload.includes('"tool-approval-')) return null;
  const chunk = parseChunk(payload) as Partial<ApprovalChunk> | null;
  const known = chunk?.type === 'tool-approval-request' || chunk?.type === 'tool-approval-response';
  return known && typeof chunk.approvalId === 'string' ? (chunk as ApprovalChunk) : null;
}

/** The answers claimed for one task, and how far its log was read for their responses. */
interface Claims {
  answers: Map<string, boolean>;
  unsubscribe: () => void;
  /** The last seq seen, live or read; a hint from another gateway reads after it. */
  after: number;
  reading: boolean;
  again: boolean;
}

const answered = (taskId: string, approvalId: string, approved: boolean) =>
  new OpenViberError(
    'conflict',
    `approval ${approvalId} of task ${taskId} was already answered (${approved ? 'approved' : 'denied'})`,
    409,
  );

/**
 * Which tool approvals of a task are waiting, so an answer is refused at once (404 for an id the
 * task never asked about, 409 for one already answered) instead of being queued for the daemon,
 * which could only log that it has no such request.
 *
 * The durable record is the task's stream: a `tool-approval-request` chunk asks, the agent's
 * `tool-approval-response` chunk settles. The agent streams those responses only once every
 * request of a model run is answered, so an answer accepted here is also held in memory (a
 * claim) until its response chunk arrives or the task ends; the task's topic tells us both. Claims do not
 * survive a gateway restart: an answer repeated across one, before the agent streamed the
 * response, still reaches the daemon, which ignores it.
 */
export class PendingApprovals {
  readonly #store: Pick<TasksStore, 'readTaskLog'>;
  readonly #bus: TopicBus;
  /** taskId -> (approvalId -> approved), with the subscription that clears them. */
  readonly #claims = new Map<string, Claims>();

  constructor(store: Pick<TasksStore, 'readTaskLog'>, bus: TopicBus) {
    this.#store = store;
    this.#bus = bus;
  }

  /**
   * Claims the answer to a waiting approval, or throws why it is not waiting. The check and the
   * claim happen in one synchronous step after the log is read, so of two concurrent answers to
   * the same id exactly one is accepted.
   */
  async claim(taskId: string, approvalId: string, approved: boolean): Promise<void> {
    const streamed = await this.#read(taskId, approvalId);
    if (!streamed.requested) {
      throw new OpenViberError(
        'not_found',
        `approval ${approvalId} not found: task ${taskId} has not asked for it`,
        404,
      );
    }
    if (streamed.answer !== null) throw answered(taskId, approvalId, streamed.answer);
    const claims = this.#claims.get(taskId);
    const earlier = claims?.answers.get(approvalId);
    if (earlier !== undefined) throw answered(taskId, approvalId, earlier);
    if (claims) claims.answers.set(approvalId, approved);
    else {
      const unsubscribe = this.#bus.subscribe(taskTopic(taskId), (change) => this.#onChange(taskId, change));
      const answers = new Map([[approvalId, approved]]);
      this.#claims.set(taskId, { answers, unsubscribe, after: streamed.seq, reading: false, again: false });
    }
  }

  /**
   * The approvals the task waits on, in the order it asked: an answer accepted here (a claim) no
   * longer waits, although the agent has not streamed its response yet.
   */
  async waiting(taskId: string): Promise<WaitingApproval[]> {
    const asked = new Map<string, string | null>();
    await this.#scan(taskId, (row) => {
      const chunk = approvalChunk(row.type, row.payload);
      if (chunk?.type === 'tool-approval-request' && chunk.isAutomatic !== true) {
        asked.set(chunk.approvalId, typeof chunk.toolCallId === 'string' ? chunk.toolCallId : null);
      } else if (chunk?.type === 'tool-approval-response') asked.delete(chunk.approvalId);
    });
    for (const approvalId of this.#claims.get(taskId)?.answers.keys() ?? []) asked.delete(approvalId);
    if (asked.size === 0) return [];
    const wanted = new Set([...asked.values()].filter((id): id is string => id !== null));
    const calls = new Map<string, { toolName: string | null; input: unknown }>();
    // Only the calls asked about are parsed: a long task's other tool inputs stay unread.
    await this.#scan(taskId, (row) => {
      if (row.type !== STREAM_CHUNK || !row.payload.includes('"tool-input-available"')) return;
      const chunk = parseChunk(row.payload);
      const id = chunk?.toolCallId;
      if (chunk?.type !== 'tool-input-available' || typeof id !== 'string' || !wanted.has(id)) return;
      calls.set(id, {
        toolName: typeof chunk.toolName === 'string' ? chunk.toolName : null,
        input: chunk.input,
      });
    });
    return [...asked].map(([approvalId, toolCallId]) => {
      const call = toolCallId === null ? undefined : calls.get(toolCallId);
      return { approvalId, toolCallId, toolName: call?.toolName ?? null, input: call?.input ?? null };
    });
  }

  /** Gives a claim back: the answer could not be queued after all. */
  release(taskId: string, approvalId: string): void {
    const claims = this.#claims.get(taskId);
    claims?.answers.delete(approvalId);
    if (claims?.answers.size === 0) this.forget(taskId);
  }

  forget(taskId: string): void {
    this.#claims.get(taskId)?.unsubscribe();
    this.#claims.delete(taskId);
  }

  /** Claims in memory (leak checks in tests). */
  get size(): number {
    return this.#claims.size;
  }

  #onChange(taskId: string, change: TaskChange): void {
    if (change.type === 'task.events-available' || change.type === 'bus.resynced') {
      this.#catchUp(taskId);
      return;
    }
    const ended =
      change.type === 'task.changed'
        ? isTerminalTaskStatus(change.task.status)
        : isTerminalEventType(change.event.type);
    if (ended) {
      this.forget(taskId);
      return;
    }
    if (change.type !== 'task.event-appended') return;
    const claims = this.#claims.get(taskId);
    if (claims) claims.after = Math.max(claims.after, change.event.seq);
    // The response is in the durable stream now: it answers from there.
    const chunk = approvalChunk(change.event.type, change.event.payload);
    if (chunk?.type === 'tool-approval-response') this.release(taskId, chunk.approvalId);
  }

  /**
   * Another gateway stored rows of the task (a hint, on a networked bus): they are read from the
   * claim's cursor and taken as if heard live. One read at a time; hints during it ask for one more.
   */
  #catchUp(taskId: string): void {
    const claims = this.#claims.get(taskId);
    if (!claims) return;
    if (claims.reading) {
      claims.again = true;
      return;
    }
    claims.reading = true;
    const read = async () => {
      do {
        claims.again = false;
        for (;;) {
          const rows = await this.#store.readTaskLog(taskId, claims.after, LOG_PAGE);
          for (const row of rows) {
            if (this.#claims.get(taskId) !== claims) return;
            this.#onChange(taskId, { type: 'task.event-appended', event: row });
          }
          if (rows.length < LOG_PAGE) break;
        }
      } while (claims.again && this.#claims.get(taskId) === claims);
    };
    read()
      // A failed read leaves the claims as they were: the next hint, or the task's end, reads again.
      .catch(() => {})
      .finally(() => {
        claims.reading = false;
      });
  }

  async #read(taskId: string, approvalId: string): Promise<StreamedApproval> {
    const result: StreamedApproval = { seq: 0, requested: false, answer: null };
    result.seq = await this.#scan(taskId, (row) => {
      const chunk = approvalChunk(row.type, row.payload);
      if (chunk?.approvalId !== approvalId) return;
      // An automatic approval request (the agent's own policy decided) waits for nobody.
      if (chunk.type === 'tool-approval-request') result.requested ||= chunk.isAutomatic !== true;
      else result.answer = chunk.approved === true;
    });
    return result;
  }

  /** Every row of the task's log, in order, a page at a time; returns the last seq read. */
  async #scan(taskId: string, visit: (row: TaskEventRecord) => void): Promise<number> {
    for (let after = 0; ; ) {
      const rows = await this.#store.readTaskLog(taskId, after, LOG_PAGE);
      for (const row of rows) {
        after = row.seq;
        visit(row);
      }
      if (rows.length < LOG_PAGE) return after;
    }
  }
}
