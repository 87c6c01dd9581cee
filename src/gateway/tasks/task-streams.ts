import type { Context } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { UI_MESSAGE_STREAM_HEADER, UI_MESSAGE_STREAM_VERSION } from '../../protocol/index.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { TasksStore } from '../store/index.ts';
import { type RelayMetrics, TaskStreamSession } from './task-stream-session.ts';

/** Headers of the task stream, exactly as the protocol document gives them. */
const SSE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  [UI_MESSAGE_STREAM_HEADER]: UI_MESSAGE_STREAM_VERSION,
  'X-Accel-Buffering': 'no',
};

export interface TaskStreamDeps {
  store: TasksStore;
  bus: TopicBus;
  log: Logger;
  metrics: RelayMetrics;
}

/** The open SSE sessions of task streams, so a closing gateway can end them. */
export class StreamSessions {
  readonly #sessions = new Set<TaskStreamSession>();
  readonly #deps: TaskStreamDeps;

  constructor(deps: TaskStreamDeps) {
    this.#deps = deps;
  }

  /** `GET /api/tasks/:id/stream`: the task's stream from the client's cursor on. */
  async respond(c: Context): Promise<Response> {
    const taskId = c.req.param('id')!;
    const after = streamCursor(c);
    const task = await this.#deps.store.getTask(taskId);
    if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
    const session: TaskStreamSession = new TaskStreamSession({
      taskId,
      after,
      store: this.#deps.store,
      bus: this.#deps.bus,
      log: this.#deps.log.child({ taskId }),
      metrics: this.#deps.metrics,
      onEnd: () => this.#sessions.delete(session),
    });
    this.#sessions.add(session);
    return new Response(session.stream, { status: 200, headers: SSE_HEADERS });
  }

  get size(): number {
    return this.#sessions.size;
  }

  closeAll(): void {
    for (const session of [...this.#sessions]) session.close(true);
  }
}

/** The resume cursor: `Last-Event-ID` wins over `?after=`; none means replay from the start. */
export function streamCursor(c: Context): number {
  const header = c.req.header('last-event-id');
  const query = c.req.query('after');
  const [raw, name] = header !== undefined ? [header, 'Last-Event-ID'] : [query, 'after'];
  if (raw === undefined || raw.trim() === '') return 0;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new OpenViberError('validation_failed', `${name}: must be a non-negative integer (a seq)`, 400);
  }
  return Number(raw.trim());
}
