import WebSocket from 'ws';
import type { Logger } from '../../core/logger.ts';
import type { TerminalAccess, TerminalServerMessage } from '../../protocol/index.ts';

/** Per-viewer bounds: above `highWaterBytes` queued on its socket, output is dropped and resynced. */
export interface ViewerLimits {
  highWaterBytes: number;
  /** Resync once the socket has drained below this. */
  lowWaterBytes: number;
  /** Panes one connection may watch at once. */
  maxAttachments: number;
}

export const DEFAULT_VIEWER_LIMITS: ViewerLimits = {
  highWaterBytes: 1024 * 1024,
  lowWaterBytes: 256 * 1024,
  maxAttachments: 32,
};

/**
 * One pane watched through one viewer connection. `attaching` waits for its screen (output before
 * it is already in the screen); `behind` dropped output and waits for the socket to drain.
 */
export interface Attachment {
  readonly viewer: Viewer;
  readonly viberId: string;
  /** The target the viewer used; every message to it names this one. */
  readonly target: string;
  /** The daemon-side viewer id: unique per attachment. */
  readonly appId: string;
  paneId: string | undefined;
  state: 'attaching' | 'live' | 'behind';
}

/**
 * What the relay needs of a viewer: a browser or CLI on this gateway's socket (ViewerClient), or
 * one connected to another gateway, for a viber this gateway holds (RemoteViewer, terminal-crossing.ts).
 */
export interface Viewer {
  readonly id: string;
  readonly access: TerminalAccess;
  readonly binaryOutput: boolean;
  readonly log: Logger;
  readonly attachments: Map<string, Attachment>;
  newAppId(): string;
  /** Bytes written to the viewer and not yet sent on: above the high-water mark it falls behind. */
  readonly buffered: number;
  send(message: TerminalServerMessage | string | Uint8Array): void;
  whenDrained(lowWaterBytes: number, drained: () => void): void;
  stopDrainWatch(): void;
}

/** A browser or CLI connected to the terminal WebSocket. */
export class ViewerClient implements Viewer {
  readonly id: string;
  readonly socket: WebSocket;
  readonly access: TerminalAccess;
  /** Pane output goes to this viewer as binary frames (it asked with `?output=binary`). */
  readonly binaryOutput: boolean;
  readonly log: Logger;
  readonly attachments = new Map<string, Attachment>();
  #nextAppId = 0;
  #drainTimer: NodeJS.Timeout | undefined;

  constructor(id: string, socket: WebSocket, access: TerminalAccess, log: Logger, binaryOutput = false) {
    this.id = id;
    this.socket = socket;
    this.access = access;
    this.log = log;
    this.binaryOutput = binaryOutput;
  }

  static key(viberId: string, target: string): string {
    return `${viberId}\u0000${target}`;
  }

  newAppId(): string {
    this.#nextAppId += 1;
    return `${this.id}.${this.#nextAppId}`;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get buffered(): number {
    return this.socket.bufferedAmount;
  }

  /** A message, or a frame already made: JSON text, or a binary output frame. */
  send(message: TerminalServerMessage | string | Uint8Array): void {
    if (!this.open) return;
    this.socket.send(
      typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message),
    );
  }

  /** Polls until the socket drains below `lowWaterBytes`, then calls `drained` once. */
  whenDrained(lowWaterBytes: number, drained: () => void): void {
    if (this.#drainTimer) return;
    this.#drainTimer = setInterval(() => {
      if (!this.open) return this.stopDrainWatch();
      if (this.buffered > lowWaterBytes) return;
      this.stopDrainWatch();
      drained();
    }, 25);
    this.#drainTimer.unref();
  }

  stopDrainWatch(): void {
    clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }
}
