import type { Logger } from '../../core/logger.ts';
import {
  decodeNamedFrame,
  decodeViewerOutputFrame,
  TERMINAL_FRAME_KIND,
  type TerminalAccess,
  type TerminalClientMessage,
  TerminalClientMessageSchema,
  type TerminalServerMessage,
} from '../../protocol/index.ts';
import { type GatewayInboxMessage, gatewayInbox, VIBER_LOCATIONS } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { RelayCrossing, TerminalRelay } from './terminal-relay.ts';
import { type Attachment, DEFAULT_VIEWER_LIMITS, type Viewer, ViewerClient } from './viewer-client.ts';

/** What a viewer is told when the gateway holding its viber stops being there for it. */
export const HOLDER_WENT_AWAY = 'the gateway holding this viber went away';
/** The holder's own relay answers within 15 s; this fires only when the whole gateway is silent. */
const ANSWER_TIMEOUT_MS = 20_000;
const DRAIN_POLL_MS = 25;

/** Which other gateway holds a viber's socket (ViberLocations). */
export interface Whereabouts {
  where(viberId: string): string | undefined;
}

export interface TerminalCrossingOptions {
  bus: TopicBus;
  gatewayId: string;
  relay: TerminalRelay;
  connections: ConnectionRegistry;
  locations: Whereabouts;
  /** The heartbeat interval: viewers are said to be alive this often, and forgotten after three. */
  refreshMs: number;
  log: Logger;
}

/** A pane a viewer of this gateway watches through the gateway holding its viber. */
interface RemoteAttachment {
  readonly viberId: string;
  readonly target: string;
  gatewayId: string;
  state: 'attaching' | 'live' | 'behind';
  /** A screen arrived: an error now is about the pane, not a failed attach. */
  shown: boolean;
}

/** A request sent to another gateway that the viewer waits on (it carried a requestId). */
interface RemoteRequest {
  readonly viberId: string;
  readonly gatewayId: string;
  readonly target: string | undefined;
  readonly timer: NodeJS.Timeout;
}

/** A viewer of this gateway with vibers held by other gateways. */
interface Away {
  readonly viewer: ViewerClient;
  /** By `ViewerClient.key(viberId, target)`. */
  readonly attachments: Map<string, RemoteAttachment>;
  /** By the viewer's own requestId. */
  readonly requests: Map<string, RemoteRequest>;
  /** The gateways it sent requests to, and when it last did. */
  readonly holders: Map<string, number>;
  drainTimer: NodeJS.Timeout | undefined;
}

/**
 * On the gateway holding a viber, a viewer connected to another gateway: the relay treats it like
 * a local viewer (attach, detach, input, resize, list, create, fan-out), and everything sent to it
 * goes to its gateway's inbox, a pane's output as one message per frame. Its gateway applies the
 * viewer's backpressure (it sees the socket), so here it is never behind.
 */
export class RemoteViewer implements Viewer {
  readonly id: string;
  readonly access: TerminalAccess;
  readonly binaryOutput = true;
  readonly log: Logger;
  readonly attachments = new Map<string, Attachment>();
  /** The viewer's gateway and its id there. */
  readonly gatewayId: string;
  readonly viewerId: string;
  /** When its gateway last spoke of it. */
  heardAt = Date.now();
  readonly #from: string;
  readonly #publish: (message: GatewayInboxMessage) => void;
  #nextAppId = 0;

  constructor(options: {
    id: string;
    access: TerminalAccess;
    gatewayId: string;
    viewerId: string;
    /** This gateway's id. */
    from: string;
    publish: (message: GatewayInboxMessage) => void;
    log: Logger;
  }) {
    this.id = options.id;
    this.access = options.access;
    this.gatewayId = options.gatewayId;
    this.viewerId = options.viewerId;
    this.#from = options.from;
    this.#publish = options.publish;
    this.log = options.log;
  }

  newAppId(): string {
    this.#nextAppId += 1;
    return `${this.id}.${this.#nextAppId}`;
  }

  /** The bus takes each message at once; the viewer's own gateway drops what its socket cannot take. */
  get buffered(): number {
    return 0;
  }

  send(message: TerminalServerMessage | string | Uint8Array): void {
    const viewerId = this.viewerId;
    if (message instanceof Uint8Array) {
      const frame = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('base64');
      this.#publish({ type: 'terminal.output', from: this.#from, viewerId, frame });
      return;
    }
    // A string is a message already made as JSON (the relay makes those only for JSON viewers).
    const parsed = typeof message === 'string' ? (JSON.parse(message) as TerminalServerMessage) : message;
    this.#publish({ type: 'terminal.reply', from: this.#from, viewerId, message: parsed });
  }

  whenDrained(_lowWaterBytes: number, drained: () => void): void {
    drained();
  }

  stopDrainWatch(): void {}
}

/**
 * Terminals across gateways (docs/deploy.md, "Scale-out"). Each gateway listens to its own inbox
 * on the bus, `gateway/<gatewayId>`, and plays two parts:
 * - for its viewers, a request for a viber another gateway holds (ViberLocations.where) goes to
 *   that gateway's inbox, after the relay checked the viewer's access; what comes back reaches
 *   the viewer, output only once its screen did and only while its socket keeps up (else it is
 *   dropped and the pane attached again once the socket drains, as the relay does). When the
 *   holder goes away (the viber's location expires or moves) its viewers get `viber_offline`.
 * - for the vibers it holds, a viewer of another gateway is a RemoteViewer the relay serves like
 *   its own; it ends when its gateway says the viewer closed, or stops saying it is alive.
 */
export class TerminalCrossing implements RelayCrossing {
  readonly #options: TerminalCrossingOptions;
  readonly #log: Logger;
  /** This gateway's viewers with business elsewhere, by viewer id. */
  readonly #away = new Map<string, Away>();
  /** Viewers of other gateways, by `gatewayId NUL viewerId`. */
  readonly #remote = new Map<string, RemoteViewer>();
  #nextRemoteId = 0;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: TerminalCrossingOptions) {
    this.#options = options;
    this.#log = options.log;
  }

  start(): void {
    const { bus, gatewayId } = this.#options;
    const inbox = bus.subscribe(gatewayInbox(gatewayId), (message) => this.#received(message));
    // A viber said to be on another gateway than the one serving its viewers here: it moved.
    const moved = bus.subscribe(VIBER_LOCATIONS, (notice) => {
      if (notice.type === 'viber.here' && notice.gatewayId !== gatewayId && this.#away.size > 0)
        queueMicrotask(() => this.#checkHolders());
    });
    this.#unsubscribe = () => {
      inbox();
      moved();
    };
    this.#timer = setInterval(() => this.#tick(), this.#options.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    for (const away of this.#away.values()) {
      clearInterval(away.drainTimer);
      for (const request of away.requests.values()) clearTimeout(request.timer);
    }
  }

  forward(viewer: Viewer, message: TerminalClientMessage): boolean {
    // A remote viewer's requests are served by the gateway holding the viber, never sent on.
    if (!(viewer instanceof ViewerClient)) return false;
    const { viberId } = message;
    if (message.type === 'terminal:detach') {
      const key = ViewerClient.key(viberId, message.target);
      const away = this.#away.get(viewer.id);
      const attachment = away?.attachments.get(key);
      if (!away || !attachment || viewer.attachments.has(key)) return false;
      // The holder's relay answers `detached`, which reaches the viewer.
      away.attachments.delete(key);
      this.#send(away, attachment.gatewayId, message);
      return true;
    }
    if (this.#options.connections.get(viberId)?.ready) return false;
    const gatewayId = this.#options.locations.where(viberId);
    if (gatewayId === undefined) return false;
    const away = this.#awayOf(viewer);
    if (message.type === 'terminal:attach') {
      const key = ViewerClient.key(viberId, message.target);
      let attachment = away.attachments.get(key);
      if (!attachment) {
        const { maxAttachments } = DEFAULT_VIEWER_LIMITS;
        if (viewer.attachments.size + away.attachments.size >= maxAttachments) {
          viewer.send({
            type: 'terminal:error',
            viberId,
            target: message.target,
            code: 'bad_request',
            message: `at most ${maxAttachments} panes per connection`,
          });
          return true;
        }
        attachment = { viberId, target: message.target, gatewayId, state: 'attaching', shown: false };
        away.attachments.set(key, attachment);
      }
      // Attaching again asks for a fresh screen, as on one gateway.
      attachment.gatewayId = gatewayId;
      attachment.state = 'attaching';
    }
    if ('requestId' in message && message.requestId !== undefined)
      this.#expectAnswer(away, message.requestId, {
        viberId,
        gatewayId,
        target: 'target' in message ? message.target : undefined,
      });
    this.#send(away, gatewayId, message);
    return true;
  }

  viewerClosed(viewer: Viewer): void {
    const away = this.#away.get(viewer.id);
    if (!away || away.viewer !== viewer) return;
    this.#away.delete(viewer.id);
    clearInterval(away.drainTimer);
    for (const request of away.requests.values()) clearTimeout(request.timer);
    for (const gatewayId of away.holders.keys()) this.#tellClosed(gatewayId, viewer.id);
  }

  /** Viewers of other gateways served here (tests, metrics). */
  get remoteViewerCount(): number {
    return this.#remote.size;
  }

  #awayOf(viewer: ViewerClient): Away {
    let away = this.#away.get(viewer.id);
    if (!away) {
      away = {
        viewer,
        attachments: new Map(),
        requests: new Map(),
        holders: new Map(),
        drainTimer: undefined,
      };
      this.#away.set(viewer.id, away);
    }
    return away;
  }

  #send(away: Away, gatewayId: string, message: TerminalClientMessage): void {
    away.holders.set(gatewayId, Date.now());
    const { viewer } = away;
    this.#options.bus.publish(gatewayInbox(gatewayId), {
      type: 'terminal.request',
      from: this.#options.gatewayId,
      viewerId: viewer.id,
      access: viewer.access,
      message,
    });
  }

  #tellClosed(gatewayId: string, viewerId: string): void {
    this.#options.bus.publish(gatewayInbox(gatewayId), {
      type: 'terminal.viewer-closed',
      from: this.#options.gatewayId,
      viewerId,
    });
  }

  #expectAnswer(away: Away, requestId: string, request: Omit<RemoteRequest, 'timer'>): void {
    clearTimeout(away.requests.get(requestId)?.timer);
    const timer = setTimeout(() => {
      away.requests.delete(requestId);
      this.#failRequest(
        away,
        requestId,
        request,
        `the gateway holding viber ${request.viberId} did not answer`,
      );
    }, ANSWER_TIMEOUT_MS);
    timer.unref();
    away.requests.set(requestId, { ...request, timer });
  }

  #received(message: GatewayInboxMessage): void {
    switch (message.type) {
      case 'terminal.request':
        this.#onRequest(message);
        return;
      case 'terminal.viewer-closed': {
        const key = remoteKey(message.from, message.viewerId);
        const proxy = this.#remote.get(key);
        if (proxy) this.#closeRemote(key, proxy, 'closed');
        return;
      }
      case 'terminal.viewers-alive': {
        const now = Date.now();
        for (const viewerId of message.viewerIds) {
          const proxy = this.#remote.get(remoteKey(message.from, viewerId));
          if (proxy) proxy.heardAt = now;
        }
        return;
      }
      case 'terminal.reply':
        this.#onReply(message.viewerId, message.message);
        return;
      case 'terminal.output':
        this.#onOutput(message.viewerId, message.frame);
        return;
    }
  }

  /** On the holder: a viewer of another gateway asks; the relay serves it like its own. */
  #onRequest(request: Extract<GatewayInboxMessage, { type: 'terminal.request' }>): void {
    const parsed = TerminalClientMessageSchema.safeParse(request.message);
    if (!parsed.success) {
      this.#log.warn(
        { gateway: request.from },
        'ignored a terminal request from another gateway that is not one',
      );
      return;
    }
    const key = remoteKey(request.from, request.viewerId);
    let proxy = this.#remote.get(key);
    if (!proxy) {
      this.#nextRemoteId += 1;
      const id = `rv${this.#nextRemoteId}`;
      const { bus, gatewayId } = this.#options;
      proxy = new RemoteViewer({
        id,
        access: request.access,
        gatewayId: request.from,
        viewerId: request.viewerId,
        from: gatewayId,
        publish: (message) => bus.publish(gatewayInbox(request.from), message),
        log: this.#log.child({ terminalViewer: id, viewerGateway: request.from, viewerId: request.viewerId }),
      });
      this.#remote.set(key, proxy);
      proxy.log.info({ access: request.access }, 'terminal viewer of another gateway');
    }
    proxy.heardAt = Date.now();
    try {
      this.#options.relay.handleClientMessage(proxy, parsed.data);
    } catch (error) {
      proxy.log.error({ err: error, type: parsed.data.type }, 'terminal request failed');
      proxy.send({
        type: 'terminal:error',
        viberId: parsed.data.viberId,
        code: 'internal',
        message: `${parsed.data.type} failed on the gateway holding the viber`,
      });
    }
  }

  #closeRemote(key: string, proxy: RemoteViewer, why: string): void {
    this.#remote.delete(key);
    this.#options.relay.clientClosed(proxy);
    proxy.log.info({ why }, 'terminal viewer of another gateway gone');
  }

  /** On the viewer's gateway: what the viber answered, to the viewer. */
  #onReply(viewerId: string, message: TerminalServerMessage): void {
    const away = this.#away.get(viewerId);
    if (!away) return;
    if ('requestId' in message && message.requestId !== undefined) {
      clearTimeout(away.requests.get(message.requestId)?.timer);
      away.requests.delete(message.requestId);
    }
    const key =
      'target' in message && message.viberId !== undefined
        ? ViewerClient.key(message.viberId, message.target ?? '')
        : undefined;
    const attachment = key === undefined ? undefined : away.attachments.get(key);
    switch (message.type) {
      case 'terminal:screen':
        // Detached here already, or behind: the screen it waits for comes after the drain.
        if (!attachment || attachment.state === 'behind') return;
        attachment.state = 'live';
        attachment.shown = true;
        break;
      case 'terminal:detached':
        if (key !== undefined) away.attachments.delete(key);
        break;
      case 'terminal:error':
        // A failed attach leaves nothing attached.
        if (attachment && !message.requestId && attachment.state === 'attaching' && !attachment.shown)
          away.attachments.delete(key!);
        break;
    }
    away.viewer.send(message);
  }

  /** On the viewer's gateway: one output frame of a pane it watches elsewhere. */
  #onOutput(viewerId: string, encoded: string): void {
    const away = this.#away.get(viewerId);
    if (!away) return;
    const frame = Buffer.from(encoded, 'base64');
    const [viberId, target] = decodeNamedFrame(TERMINAL_FRAME_KIND.viewerOutput, 2, frame)?.names ?? [];
    if (viberId === undefined || target === undefined) return;
    const attachment = away.attachments.get(ViewerClient.key(viberId, target));
    // Output before the screen is in the screen; output while behind is dropped.
    if (attachment?.state !== 'live') return;
    const { viewer } = away;
    if (viewer.buffered > DEFAULT_VIEWER_LIMITS.highWaterBytes) {
      this.#fallBehind(away, attachment);
      return;
    }
    if (viewer.binaryOutput) {
      viewer.send(frame);
      return;
    }
    const output = decodeViewerOutputFrame(frame);
    if (output) viewer.send(output);
  }

  /** As the relay does: drop the viewer's output until its socket drains, then attach again. */
  #fallBehind(away: Away, attachment: RemoteAttachment): void {
    attachment.state = 'behind';
    const { viewer } = away;
    viewer.log.warn(
      { viberId: attachment.viberId, target: attachment.target, bufferedBytes: viewer.buffered },
      'terminal viewer behind; output from another gateway dropped until it drains',
    );
    if (away.drainTimer) return;
    away.drainTimer = setInterval(() => {
      if (viewer.open && viewer.buffered > DEFAULT_VIEWER_LIMITS.lowWaterBytes) return;
      clearInterval(away.drainTimer);
      away.drainTimer = undefined;
      if (!viewer.open) return;
      for (const behind of away.attachments.values()) {
        if (behind.state !== 'behind') continue;
        behind.state = 'attaching';
        this.#send(away, behind.gatewayId, {
          type: 'terminal:attach',
          viberId: behind.viberId,
          target: behind.target,
        });
      }
    }, DRAIN_POLL_MS);
    away.drainTimer.unref();
  }

  /** Every heartbeat interval: forget silent remote viewers, check holders, say which viewers live. */
  #tick(): void {
    const now = Date.now();
    const silence = 3 * this.#options.refreshMs;
    for (const [key, proxy] of [...this.#remote]) {
      if (now - proxy.heardAt > silence)
        this.#closeRemote(key, proxy, 'its gateway stopped saying it is there');
    }
    this.#checkHolders();
    const alive = new Map<string, string[]>();
    for (const away of this.#away.values()) {
      const busy = new Set<string>();
      for (const { gatewayId } of away.attachments.values()) busy.add(gatewayId);
      for (const { gatewayId } of away.requests.values()) busy.add(gatewayId);
      for (const [gatewayId, lastSent] of [...away.holders]) {
        // Nothing left there: the holder is told now rather than left to forget the viewer.
        if (!busy.has(gatewayId) && now - lastSent > silence) {
          away.holders.delete(gatewayId);
          this.#tellClosed(gatewayId, away.viewer.id);
          continue;
        }
        let ids = alive.get(gatewayId);
        if (!ids) {
          ids = [];
          alive.set(gatewayId, ids);
        }
        ids.push(away.viewer.id);
      }
    }
    for (const [gatewayId, viewerIds] of alive)
      this.#options.bus.publish(gatewayInbox(gatewayId), {
        type: 'terminal.viewers-alive',
        from: this.#options.gatewayId,
        viewerIds,
      });
  }

  /** Attachments and requests whose viber is no longer where they were sent end, saying why. */
  #checkHolders(): void {
    const { locations } = this.#options;
    for (const away of this.#away.values()) {
      for (const [key, attachment] of [...away.attachments]) {
        if (locations.where(attachment.viberId) === attachment.gatewayId) continue;
        away.attachments.delete(key);
        const { viberId, target } = attachment;
        away.viewer.send({
          type: 'terminal:error',
          viberId,
          target,
          code: 'viber_offline',
          message: HOLDER_WENT_AWAY,
        });
        away.viewer.send({ type: 'terminal:detached', viberId, target, reason: HOLDER_WENT_AWAY });
      }
      for (const [requestId, request] of [...away.requests]) {
        if (locations.where(request.viberId) === request.gatewayId) continue;
        clearTimeout(request.timer);
        away.requests.delete(requestId);
        this.#failRequest(away, requestId, request, HOLDER_WENT_AWAY);
      }
    }
  }

  #failRequest(away: Away, requestId: string, request: Omit<RemoteRequest, 'timer'>, text: string): void {
    away.viewer.send({
      type: 'terminal:error',
      viberId: request.viberId,
      ...(request.target !== undefined ? { target: request.target } : {}),
      requestId,
      code: 'viber_offline',
      message: text,
    });
  }
}

function remoteKey(gatewayId: string, viewerId: string): string {
  return `${gatewayId}\u0000${viewerId}`;
}
