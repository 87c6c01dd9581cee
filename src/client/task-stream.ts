import { type UIChunk, UIChunkSchema } from '../protocol/index.ts';
import { linkedController } from './abort-link.ts';
import { Backoff, type BackoffOptions, sleep } from './backoff.ts';
import type { GatewayAccess } from './gateway-access.ts';
import { GatewayClientError } from './gateway-client-error.ts';
import { parseEventData, readSse } from './sse-events.ts';

const ROUTE = 'tasks.stream';
/** Three of the gateway's 15 s keepalives missed: the connection is gone. */
const DEFAULT_IDLE_MS = 45_000;

/** One chunk of a task's UI message stream with its seq (none on the gateway's closing error). */
export interface TaskStreamChunk {
  seq: number | undefined;
  chunk: UIChunk;
}

export interface StreamReconnect {
  /** 1 for the first retry since the stream last delivered something. */
  attempt: number;
  delayMs: number;
  /** Why the connection ended (`unreachable` for a drop or silence, or the gateway's 5xx). */
  error: GatewayClientError;
  /** The seq the next connection resumes after (`Last-Event-ID`). */
  lastSeq: number | undefined;
}

export interface FollowTaskStreamOptions {
  /** Resume after this seq; undefined replays the task from its start. */
  after?: number;
  signal?: AbortSignal;
  backoff?: BackoffOptions;
  idleTimeoutMs?: number;
  /** A connection was accepted (200): a UI shows the stream as live. */
  onConnect?: (connect: { lastSeq: number | undefined }) => void;
  /** Told before each wait, so a UI can say it is reconnecting. */
  onReconnect?: (reconnect: StreamReconnect) => void;
}

/**
 * Follows `GET /api/tasks/:id/stream` to its `[DONE]`, yielding every chunk exactly once: after a
 * drop, a silence or a restarting gateway it waits out the backoff and resumes with
 * `Last-Event-ID`, and skips anything at or below the seq it already yielded. Errors that waiting
 * cannot cure (the task does not exist, the token is refused, a malformed chunk) are thrown.
 * Breaking out of the loop closes the connection; aborting `signal` rejects with its reason.
 */
export async function* followTaskStream(
  client: GatewayAccess,
  taskId: string,
  options: FollowTaskStreamOptions = {},
): AsyncGenerator<TaskStreamChunk, void> {
  const { signal } = options;
  const backoff = new Backoff(options.backoff);
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  let lastSeq = options.after;
  // Chunks without an id yielded since lastSeq: the gateway's closing `error` chunk. A connection
  // that resumes at the same cursor sends them again, in the same order; they are skipped.
  let unsequenced: string[] = [];
  for (;;) {
    signal?.throwIfAborted();
    const connection = linkedController(signal);
    let failure: GatewayClientError;
    try {
      const response = await client.open(ROUTE, {
        params: { id: taskId },
        ...(lastSeq !== undefined ? { headers: { 'last-event-id': String(lastSeq) } } : {}),
        signal: connection.signal,
      });
      options.onConnect?.({ lastSeq });
      let replayed = 0;
      for await (const message of readSse(response, { route: ROUTE, idleMs: () => idleMs })) {
        if (message.data === '[DONE]') return;
        const chunk = parseEventData(message.data, UIChunkSchema, ROUTE, 'a UI chunk');
        backoff.reset();
        if (message.id === undefined || message.id === '') {
          if (unsequenced[replayed] === message.data) {
            replayed += 1;
            continue;
          }
          unsequenced.push(message.data);
          replayed = unsequenced.length;
          yield { seq: undefined, chunk };
          continue;
        }
        const seq = parseSeq(message.id);
        if (lastSeq !== undefined && seq <= lastSeq) continue;
        lastSeq = seq;
        unsequenced = [];
        replayed = 0;
        yield { seq, chunk };
      }
      failure = new GatewayClientError('unreachable', `the stream of ${taskId} ended before [DONE]`, {
        route: ROUTE,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!GatewayClientError.isInstance(error) || !error.retryable) throw error;
      failure = error;
    } finally {
      connection.dispose();
    }
    const delayMs = backoff.next();
    options.onReconnect?.({ attempt: backoff.attempts, delayMs, error: failure, lastSeq });
    await sleep(delayMs, signal);
  }
}

function parseSeq(id: string): number {
  const seq = Number(id);
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new GatewayClientError('bad_response', `${ROUTE}: event id "${id.slice(0, 50)}" is not a seq`, {
      route: ROUTE,
      retryable: false,
    });
  }
  return seq;
}
