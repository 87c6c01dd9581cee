import { randomBytes } from 'node:crypto';
import type { ViewerClient } from './viewer-client.ts';

/** How long a viber has to answer a list, create, input or resize. */
const ANSWER_TIMEOUT_MS = 15_000;

interface Pending {
  viewer: ViewerClient;
  viberId: string;
  /** The viewer's own requestId, echoed back. */
  requestId: string | undefined;
  timer: NodeJS.Timeout;
  fail(): void;
}

/**
 * Requests relayed to a daemon and waiting for its answer. The daemon sees a gateway-made id, so
 * viewers cannot collide with (or answer for) each other; the viewer gets its own id back.
 */
export class PendingRequests {
  readonly #pending = new Map<string, Pending>();
  readonly #prefix = `tr_${randomBytes(4).toString('hex')}_`;
  #next = 0;

  add(viewer: ViewerClient, viberId: string, requestId: string | undefined, fail: () => void): string {
    this.#next += 1;
    const id = `${this.#prefix}${this.#next}`;
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      fail();
    }, ANSWER_TIMEOUT_MS);
    timer.unref();
    this.#pending.set(id, { viewer, viberId, requestId, timer, fail });
    return id;
  }

  take(id: string): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    return pending;
  }

  failViber(viberId: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.viberId !== viberId) continue;
      this.take(id);
      pending.fail();
    }
  }

  dropViewer(viewer: ViewerClient): void {
    for (const [id, pending] of this.#pending) if (pending.viewer === viewer) this.take(id);
  }
}
