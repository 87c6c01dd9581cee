import type { BoardEvent } from '../../protocol/index.ts';
import type { StoreChange, TaskChanged, TaskEventAppended } from '../store/index.ts';
import type { Topic, TopicBus } from './topic-bus.ts';

/** A viber's socket closed. Presence, not a store change: nothing durable changed. */
export interface ViberDisconnected {
  type: 'viber.disconnected';
  viberId: string;
}

/** What CHANGES carries: every committed change except a task's log rows, and presence. */
export type GatewayChange = Exclude<StoreChange, TaskEventAppended> | ViberDisconnected;
/** What a task's topic carries: its log rows, and its state changes. */
export type TaskChange = TaskEventAppended | TaskChanged;

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
