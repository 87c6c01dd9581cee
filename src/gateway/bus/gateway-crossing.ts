import type { TaskEventAppended } from '../store/index.ts';
import {
  type BusResynced,
  CHANGES,
  type GatewayChange,
  JOBS_CHANGED,
  MODEL_SETTINGS_CHANGED,
  type TaskChange,
  type TaskEventsAvailable,
  VIBER_LOCATIONS,
  VIBER_OUTBOX,
} from './gateway-topics.ts';
import type { TopicCrossing } from './redis-topic-bus.ts';

const TASK_TOPIC_PREFIX = 'task/';
/** A gateway's inbox (`gatewayInbox`): crosses whole, to the one gateway that listens. */
const INBOX_TOPIC_PREFIX = 'gateway/';
/** Topics that cross whole: small, and each message is news to every gateway. */
const WHOLE_TOPICS = new Set<string>([
  CHANGES,
  VIBER_OUTBOX,
  VIBER_LOCATIONS,
  MODEL_SETTINGS_CHANGED,
  JOBS_CHANGED,
]);
const RESYNCED: BusResynced = { type: 'bus.resynced' };

/**
 * What of the gateway's topics crosses to the other gateways on Redis (docs/gateway.md, "Redis
 * bus"):
 * - CHANGES, in full: small, and each gateway derives its own board events from it;
 * - VIBER_OUTBOX, VIBER_LOCATIONS, MODEL_SETTINGS_CHANGED and JOBS_CHANGED, in full: they exist
 *   to tell the other gateways;
 * - a gateway's inbox (`gateway/<gatewayId>`), in full: terminal, desktop view and port messages between
 *   the gateway of a viewer and the one holding its viber;
 * - a task's topic: its state changes in full, its log rows as one `task.events-available` hint
 *   per task and turn (the hot path: the row's payload stays in the store, which readers read);
 * - BOARD_EVENTS and every other topic: never (each gateway derives them; crossing would double).
 */
export const GATEWAY_CROSSING: TopicCrossing = {
  channelOf(topic) {
    return WHOLE_TOPICS.has(topic) ||
      topic.startsWith(TASK_TOPIC_PREFIX) ||
      topic.startsWith(INBOX_TOPIC_PREFIX)
      ? topic
      : undefined;
  },
  outbound(_topic, message) {
    const change = message as GatewayChange | TaskChange;
    switch (change.type) {
      case 'task.event-appended':
        return { message: hintOf(change), coalesce: true };
      case 'task.events-available':
      case 'bus.resynced':
        // Heard from Redis or made here for this process's listeners: never sent on.
        return undefined;
      case 'task.changed':
        // `arrivedAt` is this process's clock: meaningless to another.
        return {
          message: change.cause ? { ...change, cause: { ...change.cause, arrivedAt: undefined } } : change,
        };
      default:
        return { message: change };
    }
  },
  // CHANGES and the task topics carry BusResynced; the viber topics' messages have no such shape
  // (their locations are said again every heartbeat interval anyway).
  resynced: (topic) => (topic === CHANGES || topic.startsWith(TASK_TOPIC_PREFIX) ? RESYNCED : undefined),
};

function hintOf({ event }: TaskEventAppended): TaskEventsAvailable {
  return { type: 'task.events-available', taskId: event.taskId, seq: event.seq };
}
