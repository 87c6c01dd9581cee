import type {
  BoardEvent,
  DaemonMessage,
  GatewayMessage,
  ListedPort,
  TerminalAccess,
  TerminalClientMessage,
  TerminalServerMessage,
} from '../../protocol/index.ts';
import type { StoreChange, TaskChanged, TaskEventAppended } from '../store/index.ts';
import type { Topic, TopicBus } from './topic-bus.ts';

/** A viber's socket closed. Presence, not a store change: nothing durable changed. */
export interface ViberDisconnected {
  type: 'viber.disconnected';
  viberId: string;
}

/**
 * Rows up to `seq` are in the task's log: what another gateway's rows become on a networked bus
 * (RedisTopicBus), one hint for a burst. Read the log after your cursor; never a row itself.
 */
export interface TaskEventsAvailable {
  type: 'task.events-available';
  taskId: string;
  seq: number;
}

/**
 * Messages of this topic may have been missed (the networked bus was cut off from Redis, or its
 * subscription has just become active): read the store now. Heard in this process only.
 */
export interface BusResynced {
  type: 'bus.resynced';
}

/** What CHANGES carries: every committed change except a task's log rows, and presence. */
export type GatewayChange = Exclude<StoreChange, TaskEventAppended> | ViberDisconnected | BusResynced;
/** What a task's topic carries: its log rows (or, from other gateways, hints), and its state changes. */
export type TaskChange = TaskEventAppended | TaskChanged | TaskEventsAvailable | BusResynced;

/** Followed by the board's events and by presence (a revoked viber is cut off). */
export const CHANGES: Topic<GatewayChange> = 'changes';

/** Followed by the task's SSE streams and its pending approval answers. */
export const taskTopic = (taskId: string): Topic<TaskChange> => `task/${taskId}`;

/**
 * The board's push events, which each gateway derives from CHANGES for its own `/api/events`
 * streams (with a networked bus, from the changes of every gateway).
 */
export const BOARD_EVENTS: Topic<BoardEvent> = 'board-events';

/**
 * The store's change sink: each committed change onto the topics that carry it, in commit order.
 * A stream chunk is one publish on its task's topic, as cheap as the bus it replaced.
 */
export function publishChanges(bus: TopicBus, changes: readonly StoreChange[]): void {
  for (const change of changes) {
    if (change.type === 'task.event-appended') {
      bus.publish(taskTopic(change.event.taskId), change);
      continue;
    }
    if (change.type === 'task.changed') bus.publish(taskTopic(change.task.id), change);
    bus.publish(CHANGES, change);
  }
}

/**
 * A viber has new commands in the shared outbox (scale-out, docs/gateway.md): the gateway that
 * queued them does not hold the viber's socket, so the one that does sends them. The durable
 * outbox stays the truth; this only says "look".
 */
export interface ViberOutboxFilled {
  viberId: string;
}
export const VIBER_OUTBOX: Topic<ViberOutboxFilled> = 'viber-outbox';

/**
 * Where a viber's socket is: each gateway says so for the vibers it holds when they connect and
 * leave, and again every heartbeat interval, so a gateway that starts (or missed a notice) learns
 * it, and a gateway that died is forgotten once its notices stop.
 */
export interface ViberLocation {
  type: 'viber.here' | 'viber.gone';
  viberId: string;
  gatewayId: string;
}
export const VIBER_LOCATIONS: Topic<ViberLocation> = 'viber-locations';

/**
 * What one gateway sends another about terminals (terminal-crossing.ts), desktop views and ports: the
 * viewer is connected to the one (`from` in a request), the viber to the other. Viewer ids are the
 * sending gateway's.
 */
export type GatewayInboxMessage =
  /** A viewer's request for a viber the receiving gateway holds; access was checked by the sender. */
  | {
      type: 'terminal.request';
      from: string;
      viewerId: string;
      access: TerminalAccess;
      message: TerminalClientMessage;
    }
  /** The viewer's socket closed: its attachments end, its requests are forgotten. */
  | { type: 'terminal.viewer-closed'; from: string; viewerId: string }
  /** These viewers are still there (every heartbeat interval): the others are forgotten. */
  | { type: 'terminal.viewers-alive'; from: string; viewerIds: string[] }
  /** What the viber answered for a viewer of the receiving gateway. */
  | { type: 'terminal.reply'; from: string; viewerId: string; message: TerminalServerMessage }
  /** A pane's output for that viewer: one viewer output frame (base64), one per daemon frame. */
  | { type: 'terminal.output'; from: string; viewerId: string; frame: string }
  | DesktopInboxMessage
  | PortInboxMessage;

/**
 * What one gateway sends another about live desktop views (desktop-crossing.ts): the viewer's
 * gateway filtered the viewer's RFB bytes (read-only unless taken over) before they travel.
 * View ids are the viewer's gateway's.
 */
export type DesktopInboxMessage =
  /** Open a VNC connection on the viber for this view; the holder answers with output or closed. */
  | { type: 'desktop.open'; from: string; viewId: string; viberId: string }
  /** The viewer's filtered RFB bytes (base64), for the viber. */
  | { type: 'desktop.input'; from: string; viewId: string; data: string }
  /** The viewer went away: the holder closes the VNC connection. */
  | { type: 'desktop.close'; from: string; viewId: string }
  /** These views are still open (every heartbeat interval): the others are closed. */
  | { type: 'desktop.views-alive'; from: string; viewIds: string[] }
  /** The viber's RFB bytes for a view (base64), one message per daemon frame. */
  | { type: 'desktop.output'; from: string; viewId: string; data: string }
  /** The view ended on the holder, saying why. */
  | { type: 'desktop.closed'; from: string; viewId: string; reason: string };

/**
 * What one gateway sends another about ports (port-crossing.ts): the client (a browser on a port
 * link, a REST caller listing) is on the one, the viber on the other. The client's gateway checked
 * the link and filtered the request (no token, no session cookie, no bearer token of the gateway's)
 * before anything travels; the holder passes the exchange's messages to the viber and back as they
 * are, so the window and its credits hold from end to end. Exchange ids are the client's gateway's.
 */
export type PortInboxMessage =
  /** List the viber's ports (the holder asks it, with its own timeout). */
  | { type: 'port.list'; from: string; requestId: string; viberId: string }
  /** The listing, or why there is none (`failure`: the HTTP status and message the holder's relay gave). */
  | {
      type: 'port.listed';
      from: string;
      requestId: string;
      ports: ListedPort[];
      unavailable?: string;
      failure?: { status: number; message: string };
    }
  /** An exchange's message for the viber: `port:request` opens it, then body, end, credit, cancel. */
  | { type: 'port.to-viber'; from: string; viberId: string; message: PortToViber }
  /** The viber's answer for an exchange: response, ack, done or failed, as it sent them. */
  | { type: 'port.from-viber'; from: string; message: PortFromViber }
  /** Answer or tunnel bytes (base64), one message per daemon frame. */
  | { type: 'port.data'; from: string; exchangeId: string; data: string }
  /** The exchange ended on the holder without the viber's word (it disconnected), saying why. */
  | { type: 'port.gone'; from: string; exchangeId: string; message: string }
  /** These exchanges are still open (every heartbeat interval): the holder cancels the others. */
  | { type: 'port.exchanges-alive'; from: string; exchangeIds: string[] };
export type PortToViber = Extract<GatewayMessage, { type: `port:${string}` }>;
export type PortFromViber = Extract<DaemonMessage, { type: `port:${string}` }>;

/** A gateway's own inbox: only that gateway listens to it. */
export const gatewayInbox = (gatewayId: string): Topic<GatewayInboxMessage> => `gateway/${gatewayId}`;

/**
 * The model settings changed on a gateway (docs/settings.md): every other gateway asks the vibers
 * it holds to pull them (`config:push`), as the one that took the change asked its own.
 */
export interface ModelSettingsChanged {
  from: string;
  version: number;
}
export const MODEL_SETTINGS_CHANGED: Topic<ModelSettingsChanged> = 'model-settings-changed';

/**
 * A scheduled job was created, changed or deleted (docs/jobs.md): every gateway's scheduler reads
 * its jobs again now instead of at its next periodic look. A hint only: a claim checks the job's
 * version in the store, so a gateway that missed it never runs a tick of an old schedule.
 * `job.run-recorded`: a gateway recorded one of the job's runs; the board's events say so, the
 * schedulers ignore it.
 */
export type JobChanged =
  | { type: 'job.changed'; jobId: string }
  | { type: 'job.run-recorded'; jobId: string; runId: string };
export const JOBS_CHANGED: Topic<JobChanged> = 'jobs-changed';
