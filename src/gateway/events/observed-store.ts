import type { TaskStatus } from '../../protocol/index.ts';
import type {
  AppendResult,
  GatewayStore,
  TaskEventAppend,
  TaskOutboxView,
  TaskRecord,
  TaskUpdate,
} from '../store/gateway-store.ts';
import { activityOfEvent, type BoardEventPublisher } from './board-event-publisher.ts';

type Method = (...args: never[]) => Promise<unknown>;
type Hook = (target: GatewayStore, method: Method, args: unknown[]) => Promise<unknown>;

/**
 * The one hook point for board events: every task and viber change goes through the store, so
 * wrapping the store sees them all (REST, daemon messages, presence, restarts) with no call site
 * to forget. Events go out after the store committed. Methods without a hook pass straight
 * through, including ones added later.
 */
export function observeStore(store: GatewayStore, events: BoardEventPublisher): GatewayStore {
  const viberHook: Hook = async (target, method, args) => {
    const result = await method.apply(target, args as never[]);
    events.viberChanged(args[0] as string);
    return result;
  };
  const hooks: Partial<Record<keyof GatewayStore, Hook>> = {
    async insertTask(target, method, args) {
      const result = await method.apply(target, args as never[]);
      events.taskCreated(args[0] as TaskRecord);
      return result;
    },
    async updateTask(target, method, args) {
      let previous: TaskStatus | undefined;
      const decide = args[1] as (task: TaskRecord, outbox: TaskOutboxView) => TaskUpdate | null;
      const observed = (task: TaskRecord, outbox: TaskOutboxView) => {
        previous = task.status;
        return decide(task, outbox);
      };
      const result = (await method.apply(target, [args[0], observed] as never[])) as {
        task: TaskRecord;
        update: TaskUpdate | null;
      } | null;
      if (result?.update?.patch && previous) events.taskUpdated(result.task, previous);
      return result;
    },
    async appendTaskEvents(target, method, args) {
      const batch = args[1] as readonly TaskEventAppend[];
      const previous: (TaskStatus | undefined)[] = [];
      const observed = batch.map(
        ({ event, transition }, index): TaskEventAppend => ({
          event,
          transition: (task) => {
            previous[index] = task.status;
            return transition(task);
          },
        }),
      );
      const results = (await method.apply(target, [args[0], observed] as never[])) as AppendResult[];
      results.forEach((result, index) => {
        const event = batch[index]!.event;
        const before = previous[index];
        // Stream chunks are the task stream's business; the board hears lifecycle and progress.
        if (result.outcome === 'stored' && result.task && before && event.type !== 'task:stream-chunk') {
          events.taskUpdated(result.task, before, activityOfEvent(event));
        }
      });
      return results;
    },
    async insertViber(target, method, args) {
      const result = await method.apply(target, args as never[]);
      events.viberChanged((args[0] as { id: string }).id);
      return result;
    },
    recordViberConnected: viberHook,
    recordViberHeartbeat: viberHook,
    recordViberConfigState: viberHook,
    async revokeViber(target, method, args) {
      const revoked = (await method.apply(target, args as never[])) as boolean;
      if (revoked) events.viberRevoked(args[0] as string);
      return revoked;
    },
  };
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // Bound to the real store: its private fields do not exist on the proxy.
      const method = value as Method;
      const hook = hooks[property as keyof GatewayStore];
      if (!hook) return method.bind(target);
      return (...args: unknown[]) => hook(target, method, args);
    },
  });
}
