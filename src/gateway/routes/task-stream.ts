import type { Context } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import { UI_MESSAGE_STREAM_HEADER, UI_MESSAGE_STREAM_VERSION } from '../../protocol/index.ts';
import type { GatewayCore } from '../gateway-context.ts';
import { TaskStreamSession } from '../sse/task-stream-session.ts';

/** Headers of the task stream, exactly as the protocol document gives them. */
export const SSE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  [UI_MESSAGE_STREAM_HEADER]: UI_MESSAGE_STREAM_VERSION,
  'X-Accel-Buffering': 'no',
};

/** The open SSE sessions, so a closing gateway can end them. */
export class StreamSessions {
  readonly #sessions = new Set<TaskStreamSession>();

  open(core: GatewayCore, taskId: string, after: number, keepaliveMs?: number): TaskStreamSession {
    const session: TaskStreamSession = new TaskStreamSession({
      taskId,
      after,
      store: core.store,
      bus: core.bus,
      log: core.log.child({ taskId }),
      ...(keepaliveMs ? { keepaliveMs } : {}),
      onEnd: () => this.#sessions.delete(session),
    });
    this.#sessions.add(session);
    return session;
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

export async function openTaskStream(
  c: Context,
  core: GatewayCore,
  sessions: StreamSessions,
): Promise<Response> {
  const taskId = c.req.param('id')!;
  const after = streamCursor(c);
  const task = await core.store.getTask(taskId);
  if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
  const session = sessions.open(core, taskId, after);
  return new Response(session.stream, { status: 200, headers: SSE_HEADERS });
}
