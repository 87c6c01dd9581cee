import type { Logger } from '../../core/logger.ts';
import type {
  BindingChange,
  BindingRecord,
  EnvironmentStore,
  FullEnvironment,
  LogRecord,
} from '../environments/environment-store.ts';
import type { BoardEventPublisher } from './board-event-publisher.ts';

type Method = (...args: never[]) => Promise<unknown>;
type Hook = (target: EnvironmentStore, method: Method, args: unknown[]) => Promise<unknown>;

/**
 * The environments' hook point for board events, like `observeStore` for tasks and vibers: REST
 * (create, edit, delete, map, prepare) and the daemons' `environment:status` and `environment:log`
 * all change the environment store, so wrapping it sees every change. Events go out after the
 * store committed; a failed read for an event is logged, never thrown into the change.
 */
export function observeEnvironmentStore(
  store: EnvironmentStore,
  events: BoardEventPublisher,
  log: Logger,
): EnvironmentStore {
  /** Reads the environment back (for its pill) and publishes; only while a board listens. */
  const publish = async (target: EnvironmentStore, environmentId: string, binding: BindingRecord | null) => {
    if (!events.listening) return;
    try {
      const full = await target.getEnvironment(environmentId);
      if (full) events.environmentUpdated(full, binding);
    } catch (error) {
      log.debug({ err: error, environmentId }, 'environment event skipped');
    }
  };
  const hooks: Partial<Record<keyof EnvironmentStore, Hook>> = {
    async createEnvironment(target, method, args) {
      const result = await method.apply(target, args as never[]);
      await publish(target, (args[0] as Omit<FullEnvironment, 'bindings'>).environment.id, null);
      return result;
    },
    async updateEnvironment(target, method, args) {
      const result = (await method.apply(target, args as never[])) as FullEnvironment | null;
      if (result && events.listening) events.environmentUpdated(result, null);
      return result;
    },
    async deleteEnvironment(target, method, args) {
      const removed = (await method.apply(target, args as never[])) as boolean;
      if (removed) events.environmentRemoved(args[0] as string);
      return removed;
    },
    async upsertBinding(target, method, args) {
      const binding = (await method.apply(target, args as never[])) as BindingRecord;
      await publish(target, binding.environmentId, binding);
      return binding;
    },
    async updateBinding(target, method, args) {
      let changed = false;
      const decide = args[1] as (binding: BindingRecord) => BindingChange | null;
      const observed = (binding: BindingRecord) => {
        const change = decide(binding);
        changed = change !== null;
        return change;
      };
      const binding = (await method.apply(target, [args[0], observed] as never[])) as BindingRecord | null;
      // A report about an older generation changes nothing, so it announces nothing.
      if (binding && changed) await publish(target, binding.environmentId, binding);
      return binding;
    },
    async appendLog(target, method, args) {
      const line = (await method.apply(target, args as never[])) as LogRecord;
      events.environmentLog(line);
      return line;
    },
  };
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // Bound to the real store: its private fields do not exist on the proxy.
      const method = value as Method;
      const hook = hooks[property as keyof EnvironmentStore];
      if (!hook) return method.bind(target);
      return (...args: unknown[]) => hook(target, method, args);
    },
  });
}
