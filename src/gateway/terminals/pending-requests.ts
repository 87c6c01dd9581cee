import { randomBytes } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import type { DaemonMessage, TerminalServerMessage } from '../../protocol/index.ts';
import type { Viewer } from './viewer-client.ts';

/** How long a viber has to answer a list, create, input or resize. */
const ANSWER_TIMEOUT_MS = 15_000;

interface Pending {
  viewer: Viewer;
  /** The viber the request went to: the only one whose answer is taken. */
  viberId: string;
  /** The viewer's own requestId, echoed back. */
  requestId: string | undefined;
  /** False for keystrokes and resizes sent without a requestId: only an error goes back. */
  wantsDone: boolean;
  timer: NodeJS.Timeout;
  fail(): void;
}

type Taken = { ok: true; pending: Pending } | { ok: false; reason: 'unknown' | 'other_viber' };
/** A daemon's answer to a request: the result, or the error it failed with. */
export type DaemonAnswer = Extract<
  DaemonMessage,
  { type: 'terminal:list-result' | 'terminal:created' | 'terminal:done' | 'terminal:error' }
>;

/**
 * Requests relayed to a daemon and waiting for its answer. The daemon sees a gateway-made id, so
 * viewers cannot collide with (or answer for) each other; the viewer gets its own id back. Every
 * daemon sees the ids of requests sent to it, so an id is 128 random bits (a counter would let one
 * viber predict another's), and an answer counts only from the viber the request was sent to.
 */
export class PendingRequests {
  readonly #pending = new Map<string, Pending>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(
    viewer: Viewer,
    viberId: string,
    request: { requestId: string | undefined; wantsDone: boolean },
    fail: () => void,
  ): string {
    const id = `tr_${randomBytes(16).toString('hex')}`;
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      fail();
    }, ANSWER_TIMEOUT_MS);
    timer.unref();
    this.#pending.set(id, { viewer, viberId, ...request, timer, fail });
    return id;
  }

  /** The request `id` answered by `viberId`; another viber's answer leaves it waiting for the real one. */
  #take(id: string, viberId: string): Taken {
    const pending = this.#pending.get(id);
    if (!pending) return { ok: false, reason: 'unknown' };
    if (pending.viberId !== viberId) return { ok: false, reason: 'other_viber' };
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    return { ok: true, pending };
  }

  /** Hands `answer` from `viberId` to the viewer that asked, under the viewer's own requestId. */
  answer(viberId: string, answer: DaemonAnswer): void {
    const taken = answer.requestId ? this.#take(answer.requestId, viberId) : undefined;
    if (!taken?.ok) {
      // A forged or misrouted answer (another viber's request) must not reach, or unblock, its viewer.
      const refused = taken?.reason === 'other_viber';
      this.#log[refused ? 'warn' : 'debug'](
        { viberId, type: answer.type },
        refused
          ? 'terminal answer to a request sent to another viber; refused'
          : 'terminal answer to no pending request (late?)',
      );
      return;
    }
    const { pending } = taken;
    if (answer.type === 'terminal:done' && !pending.wantsDone) return;
    // The daemon's requestId and appId are the gateway's own; the viewer sees its own requestId.
    const { requestId: _ours, appId: _app, ...fields } = answer as DaemonAnswer & { appId?: string };
    pending.viewer.send({
      ...fields,
      viberId,
      ...(pending.requestId !== undefined ? { requestId: pending.requestId } : {}),
    } as TerminalServerMessage);
  }

  failViber(viberId: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.viberId !== viberId) continue;
      this.#take(id, viberId);
      pending.fail();
    }
  }

  dropViewer(viewer: Viewer): void {
    for (const [id, pending] of this.#pending) if (pending.viewer === viewer) this.#take(id, pending.viberId);
  }
}
