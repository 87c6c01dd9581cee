import type { Logger } from '../../core/logger.ts';
import {
  type DaemonMessage,
  decodePaneOutputFrame,
  encodeViewerOutputFrame,
  type GatewayMessage,
  LIMITS,
  type TerminalClientMessage,
  type TerminalErrorCode,
} from '../../protocol/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import { PendingRequests } from './pending-requests.ts';
import {
  type Attachment,
  DEFAULT_VIEWER_LIMITS,
  type Viewer,
  ViewerClient,
  type ViewerLimits,
} from './viewer-client.ts';

export type DaemonTerminalMessage = Extract<DaemonMessage, { type: `terminal:${string}` }>;
export const isTerminalMessage = (message: DaemonMessage): message is DaemonTerminalMessage =>
  message.type.startsWith('terminal:');
type ClientMessage<K extends TerminalClientMessage['type']> = Extract<TerminalClientMessage, { type: K }>;

/**
 * Several gateways (terminal-crossing.ts): a request for a viber held by another gateway goes
 * there, and what comes back reaches the viewer; the other gateway is told when the viewer leaves.
 */
export interface RelayCrossing {
  /** True when `message` went to the gateway holding its viber (this one does not). */
  forward(viewer: Viewer, message: TerminalClientMessage): boolean;
  viewerClosed(viewer: Viewer): void;
}

/**
 * The gateway's terminal relay: viewers (browsers, the CLI) on one side, daemons on the other,
 * over the daemons' existing WebSocket. Many viewers share one pane; each gets its own screen on
 * attach, then the pane's output. A viewer that falls behind loses its backlog and is repainted
 * from a fresh screen, so it never holds up the daemon or the other viewers.
 */
export class TerminalRelay {
  readonly #connections: ConnectionRegistry;
  readonly #limits: ViewerLimits;
  readonly #log: Logger;
  readonly #byAppId = new Map<string, Attachment>();
  /** `viberId NUL paneId` -> the attachments showing that pane. */
  readonly #byPane = new Map<string, Set<Attachment>>();
  readonly #requests: PendingRequests;
  #crossing: RelayCrossing | undefined;

  constructor(connections: ConnectionRegistry, log: Logger) {
    this.#connections = connections;
    this.#log = log;
    this.#limits = DEFAULT_VIEWER_LIMITS;
    this.#requests = new PendingRequests(log);
  }

  /** Relays requests for vibers held by other gateways through `crossing` (set once, by the wiring). */
  crossGateways(crossing: RelayCrossing): void {
    this.#crossing = crossing;
  }

  handleClientMessage(viewer: Viewer, message: TerminalClientMessage): void {
    const { viberId } = message;
    const refuse = (code: TerminalErrorCode, text: string) =>
      viewer.send({
        type: 'terminal:error',
        viberId,
        ...('target' in message ? { target: message.target } : {}),
        ...('requestId' in message && message.requestId !== undefined
          ? { requestId: message.requestId }
          : {}),
        code,
        message: text,
      });
    const writes =
      message.type === 'terminal:create' ||
      message.type === 'terminal:input' ||
      message.type === 'terminal:resize';
    if (writes && viewer.access !== 'write') {
      refuse('forbidden', `${message.type} needs write access to terminals; this connection is read-only`);
      return;
    }
    if (message.type === 'terminal:input' && message.keys.length > LIMITS.maxTerminalInputChars) {
      refuse(
        'input_too_large',
        `input is ${message.keys.length} characters; at most ${LIMITS.maxTerminalInputChars} per message`,
      );
      return;
    }
    // Access and size are checked here, on the viewer's gateway; the viber's gateway trusts the bus.
    if (this.#crossing?.forward(viewer, message)) return;
    if (message.type === 'terminal:detach') {
      this.#detach(viewer, message);
      return;
    }
    const daemon = this.#connections.get(viberId);
    if (!daemon?.ready) {
      refuse('viber_offline', `viber ${viberId} is not connected`);
      return;
    }
    const toDaemon = (payload: GatewayMessage) => daemon.send(payload);
    switch (message.type) {
      case 'terminal:attach':
        this.#attach(viewer, message, toDaemon, refuse);
        return;
      case 'terminal:list':
      case 'terminal:create':
      case 'terminal:input':
      case 'terminal:resize': {
        const { viberId: _viber, requestId, ...rest } = message;
        // Keystrokes and resizes without a requestId are tracked too, so their failure reaches the
        // viewer as an error (the daemon answers an untracked one to nobody); only their done is not.
        const wantsDone =
          requestId !== undefined || message.type === 'terminal:list' || message.type === 'terminal:create';
        const gatewayId = this.#requests.add(viewer, viberId, { requestId, wantsDone }, () =>
          refuse('viber_offline', `viber ${viberId} did not answer`),
        );
        toDaemon({ ...rest, requestId: gatewayId } as GatewayMessage);
      }
    }
  }

  handleDaemonMessage(viberId: string, message: DaemonTerminalMessage): void {
    switch (message.type) {
      case 'terminal:list-result':
      case 'terminal:created':
      case 'terminal:done':
        this.#requests.answer(viberId, message);
        return;
      case 'terminal:screen':
        this.#onScreen(viberId, message);
        return;
      case 'terminal:output':
        this.#onOutput(viberId, message.paneId, { text: message.data });
        return;
      case 'terminal:detached':
        this.#onDetached(viberId, message);
        return;
      case 'terminal:error':
        this.#onError(viberId, message);
        return;
    }
  }

  /**
   * A binary frame from a daemon that negotiated `terminal-binary`: a pane's output, relayed like
   * `terminal:output`. False when the frame is not one.
   */
  handleDaemonFrame(viberId: string, frame: Uint8Array): boolean {
    const output = decodePaneOutputFrame(frame);
    if (!output) return false;
    this.#onOutput(viberId, output.paneId, { bytes: output.data });
    return true;
  }

  /** The viber's connection is gone: its viewers are told, its pending requests fail. */
  viberDisconnected(viberId: string): void {
    for (const attachment of [...this.#byAppId.values()]) {
      if (attachment.viberId === viberId) this.#end(attachment, 'viber disconnected');
    }
    this.#requests.failViber(viberId);
  }

  clientClosed(viewer: Viewer): void {
    viewer.stopDrainWatch();
    this.#crossing?.viewerClosed(viewer);
    for (const attachment of [...viewer.attachments.values()]) {
      this.#forget(attachment);
      this.#connections.get(attachment.viberId)?.send({
        type: 'terminal:detach',
        target: attachment.paneId ?? attachment.target,
        appId: attachment.appId,
      });
    }
    this.#requests.dropViewer(viewer);
  }

  #attach(
    viewer: Viewer,
    message: ClientMessage<'terminal:attach'>,
    toDaemon: (payload: GatewayMessage) => void,
    refuse: (code: TerminalErrorCode, text: string) => void,
  ): void {
    const key = ViewerClient.key(message.viberId, message.target);
    let attachment = viewer.attachments.get(key);
    if (!attachment) {
      if (viewer.attachments.size >= this.#limits.maxAttachments) {
        refuse('bad_request', `at most ${this.#limits.maxAttachments} panes per connection`);
        return;
      }
      attachment = {
        viewer,
        viberId: message.viberId,
        target: message.target,
        appId: viewer.newAppId(),
        paneId: undefined,
        state: 'attaching',
      };
      viewer.attachments.set(key, attachment);
      this.#byAppId.set(attachment.appId, attachment);
    }
    // Attaching again is how a viewer asks for a fresh screen.
    attachment.state = 'attaching';
    toDaemon({ type: 'terminal:attach', target: message.target, appId: attachment.appId });
  }

  #detach(viewer: Viewer, message: ClientMessage<'terminal:detach'>): void {
    const attachment = viewer.attachments.get(ViewerClient.key(message.viberId, message.target));
    if (!attachment) {
      viewer.send({
        type: 'terminal:error',
        viberId: message.viberId,
        target: message.target,
        code: 'not_found',
        message: `not attached to ${message.target}`,
      });
      return;
    }
    this.#connections.get(attachment.viberId)?.send({
      type: 'terminal:detach',
      target: attachment.paneId ?? attachment.target,
      appId: attachment.appId,
    });
    this.#end(attachment, 'detached');
  }

  #onScreen(viberId: string, message: Extract<DaemonTerminalMessage, { type: 'terminal:screen' }>): void {
    const targets = message.appId
      ? [this.#byAppId.get(message.appId)]
      : [...(this.#byPane.get(paneKey(viberId, message.paneId)) ?? [])];
    for (const attachment of targets) {
      if (!attachment || attachment.viberId !== viberId) continue;
      if (attachment.paneId !== message.paneId) this.#bindPane(attachment, message.paneId);
      // A viewer still behind keeps waiting for its own drain; the others are repainted.
      if (!message.appId && attachment.state === 'behind') continue;
      attachment.state = 'live';
      attachment.viewer.send({
        type: 'terminal:screen',
        viberId,
        target: attachment.target,
        paneId: message.paneId,
        cols: message.cols,
        rows: message.rows,
        data: message.data,
      });
    }
  }

  /**
   * Fans a pane's output out to its live viewers. The output arrives as text (`terminal:output`) or
   * bytes (a binary frame), and goes to each viewer as it asked for it; each frame is made once per
   * distinct target and form, and a binary frame from the daemon reaches a binary viewer without
   * ever being decoded.
   */
  #onOutput(viberId: string, paneId: string, output: { text?: string; bytes?: Uint8Array }): void {
    const attachments = this.#byPane.get(paneKey(viberId, paneId));
    if (!attachments) return;
    let { text, bytes } = output;
    const frames = new Map<string, string | Uint8Array>();
    for (const attachment of attachments) {
      if (attachment.state !== 'live') continue;
      const { viewer } = attachment;
      if (viewer.buffered > this.#limits.highWaterBytes) {
        this.#fallBehind(attachment);
        continue;
      }
      const key = `${viewer.binaryOutput ? 'b' : 't'}${attachment.target}`;
      let frame = frames.get(key);
      if (frame === undefined) {
        if (viewer.binaryOutput) {
          bytes ??= Buffer.from(text ?? '', 'utf8');
          frame = encodeViewerOutputFrame(viberId, attachment.target, bytes);
        } else {
          text ??= bytes
            ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
            : '';
          frame = JSON.stringify({ type: 'terminal:output', viberId, target: attachment.target, data: text });
        }
        frames.set(key, frame);
      }
      viewer.send(frame);
    }
  }

  /** Drops what the viewer has not read yet and repaints it from the current screen once it drains. */
  #fallBehind(attachment: Attachment): void {
    attachment.state = 'behind';
    const { viewer } = attachment;
    viewer.log.warn(
      { viberId: attachment.viberId, target: attachment.target, bufferedBytes: viewer.buffered },
      'terminal viewer behind; output dropped until it drains',
    );
    viewer.whenDrained(this.#limits.lowWaterBytes, () => {
      for (const behind of viewer.attachments.values()) {
        if (behind.state !== 'behind') continue;
        behind.state = 'attaching';
        this.#connections
          .get(behind.viberId)
          ?.send({ type: 'terminal:attach', target: behind.paneId ?? behind.target, appId: behind.appId });
      }
    });
  }

  #onDetached(viberId: string, message: Extract<DaemonTerminalMessage, { type: 'terminal:detached' }>): void {
    if (message.appId) {
      const attachment = this.#byAppId.get(message.appId);
      // The answer to our own detach: the viewer was already told.
      if (attachment && attachment.viberId === viberId && message.reason !== 'detached')
        this.#end(attachment, message.reason);
      return;
    }
    if (!message.paneId) return;
    for (const attachment of [...(this.#byPane.get(paneKey(viberId, message.paneId)) ?? [])])
      this.#end(attachment, message.reason);
  }

  #onError(viberId: string, message: Extract<DaemonTerminalMessage, { type: 'terminal:error' }>): void {
    // A request's error goes to the viewer that sent it (and only from the viber it went to).
    if (message.requestId) {
      this.#requests.answer(viberId, message);
      return;
    }
    const { type: _type, requestId: _none, appId, target: _target, ...error } = message;
    const attachment = appId ? this.#byAppId.get(appId) : undefined;
    if (!attachment || attachment.viberId !== viberId) {
      this.#log.debug({ viberId, code: message.code }, `terminal error with no viewer: ${message.message}`);
      return;
    }
    attachment.viewer.send({ type: 'terminal:error', viberId, target: attachment.target, ...error });
    // A failed attach leaves nothing attached.
    if (attachment.state === 'attaching' && !attachment.paneId) this.#forget(attachment);
  }

  #bindPane(attachment: Attachment, paneId: string): void {
    if (attachment.paneId)
      this.#byPane.get(paneKey(attachment.viberId, attachment.paneId))?.delete(attachment);
    attachment.paneId = paneId;
    const key = paneKey(attachment.viberId, paneId);
    let set = this.#byPane.get(key);
    if (!set) {
      set = new Set();
      this.#byPane.set(key, set);
    }
    set.add(attachment);
  }

  #end(attachment: Attachment, reason: string): void {
    this.#forget(attachment);
    attachment.viewer.send({
      type: 'terminal:detached',
      viberId: attachment.viberId,
      target: attachment.target,
      reason,
    });
  }

  #forget(attachment: Attachment): void {
    this.#byAppId.delete(attachment.appId);
    attachment.viewer.attachments.delete(ViewerClient.key(attachment.viberId, attachment.target));
    if (!attachment.paneId) return;
    const key = paneKey(attachment.viberId, attachment.paneId);
    const set = this.#byPane.get(key);
    set?.delete(attachment);
    if (set?.size === 0) this.#byPane.delete(key);
  }
}

function paneKey(viberId: string, paneId: string): string {
  return `${viberId}\u0000${paneId}`;
}
