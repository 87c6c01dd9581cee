import type { BindingLogLine, BoardEvent } from '#lib/protocol.ts';
import { bindingLogs } from '../api/environments.ts';
import { board } from '../state/board.svelte.ts';

/** Lines the log view keeps (the gateway keeps 5,000 per binding). */
const SHOWN_LINES = 2000;

/**
 * The preparation log of one binding, live: read from the REST API at first and on every
 * `events.ready` (events are not replayed), extended by `environment.log` events in between.
 * Lines are merged by their seq, so a line that comes both ways shows once, in order.
 */
export class BindingLog {
  lines = $state<BindingLogLine[]>([]);
  readonly #environmentId: string;
  readonly #bindingId: string;

  constructor(environmentId: string, bindingId: string) {
    this.#environmentId = environmentId;
    this.#bindingId = bindingId;
  }

  /** Starts following; returns the stop function. */
  start(): () => void {
    let stopped = false;
    const unsubscribe = board.subscribe((event) => {
      if (event.type === 'events.ready') void this.#fetch(() => stopped);
      if (event.type === 'environment.log' && event.bindingId === this.#bindingId) this.#merge([event.line]);
    });
    void this.#fetch(() => stopped);
    return () => {
      stopped = true;
      unsubscribe();
    };
  }

  /**
   * Everything after the last line shown, page by page. The cursor follows the pages, not the
   * lines shown: an event may already have brought a later line.
   */
  async #fetch(stopped: () => boolean): Promise<void> {
    let after = this.lines.at(-1)?.seq ?? 0;
    try {
      while (!stopped()) {
        const page = await bindingLogs(this.#environmentId, this.#bindingId, after);
        const last = page.lines.at(-1)?.seq;
        if (stopped() || last === undefined) return;
        this.#merge(page.lines);
        after = last;
      }
    } catch {
      // The gateway is unreachable: the next `events.ready` reads again.
    }
  }

  #merge(incoming: BindingLogLine[]): void {
    const bySeq = new Map(this.lines.map((line) => [line.seq, line]));
    for (const line of incoming) bySeq.set(line.seq, line);
    this.lines = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-SHOWN_LINES);
  }
}
