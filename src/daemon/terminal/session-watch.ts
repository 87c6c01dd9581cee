import { ControlClient } from './control-client.ts';
import { PaneOutput } from './pane-output.ts';
import type { TmuxRunner } from './tmux-runner.ts';

/** A pane someone is watching: its viewers (appId -> the target they used) and its output. */
export interface PaneWatch {
  readonly paneId: string;
  readonly session: SessionWatch;
  readonly viewers: Map<string, string>;
  readonly output: PaneOutput;
  /** Output is being dropped until the gateway link drains; then every viewer gets a fresh screen. */
  resyncing: boolean;
}

export interface SessionWatchHandlers {
  /** Output of a watched pane: what one read carried, unescaped, never ending inside a character. */
  output(pane: PaneWatch, data: Buffer): void;
  /** Windows or panes changed in this session. */
  layout(watch: SessionWatch): void;
  /** The control client ended; every pane of the session is gone for its viewers. */
  exit(watch: SessionWatch, reason: string): void;
}

/**
 * One tmux session with at least one watched pane: its control client, which carries the output of
 * every pane in the session, and the panes being watched. Panes nobody watches are ignored.
 */
export class SessionWatch {
  readonly name: string;
  readonly client: ControlClient;
  readonly panes = new Map<string, PaneWatch>();
  readonly #handlers: SessionWatchHandlers;

  constructor(runner: TmuxRunner, name: string, handlers: SessionWatchHandlers) {
    this.name = name;
    this.#handlers = handlers;
    // Output of the session's other panes is not even decoded.
    this.client = new ControlClient(runner, name, { wantsOutput: (paneId) => this.panes.has(paneId) });
    this.client.on('output', (paneId, data) => this.panes.get(paneId)?.output.push(data));
    this.client.on('layout', () => handlers.layout(this));
    this.client.on('exit', (reason) => handlers.exit(this, reason));
  }

  watch(paneId: string): PaneWatch {
    const existing = this.panes.get(paneId);
    if (existing) return existing;
    const pane: PaneWatch = {
      paneId,
      session: this,
      viewers: new Map(),
      output: new PaneOutput((data) => this.#handlers.output(pane, data)),
      resyncing: false,
    };
    this.panes.set(paneId, pane);
    return pane;
  }

  unwatch(pane: PaneWatch): void {
    pane.output.drop();
    this.panes.delete(pane.paneId);
    this.client.forgetPane(pane.paneId);
  }
}
