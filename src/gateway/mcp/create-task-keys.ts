import { createHash } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type { IdempotencyStore } from '../store/index.ts';

/**
 * create_task's `idempotencyKey`, kept in the same table and for as long as REST's
 * `Idempotency-Key` (24 hours, per device; DESIGN.md, rule 6), under a name of its own: a REST key
 * never has a line break, so `<device>\nmcp create_task\n<key>` cannot meet one. What is kept is
 * the created task's id, so a retry answers the task as it is now. The same key with other
 * arguments is refused (`idempotency_conflict`); concurrent calls with one key wait for the first.
 */
export class CreateTaskKeys {
  readonly #store: IdempotencyStore;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(store: IdempotencyStore) {
    this.#store = store;
  }

  /** Runs `create` unless this device already did with `key`; the task's id either way. */
  async once(
    deviceId: string,
    key: string,
    args: unknown,
    create: () => Promise<string>,
  ): Promise<{ taskId: string; replayed: boolean }> {
    const storeKey = `${deviceId}\nmcp create_task\n${key}`;
    const requestHash = createHash('sha256').update(JSON.stringify(args)).digest('hex');
    for (let pending = this.#inFlight.get(storeKey); pending; pending = this.#inFlight.get(storeKey)) {
      await pending;
    }
    const stored = await this.#store.getIdempotency(storeKey);
    if (stored) {
      if (stored.requestHash !== requestHash) {
        throw new OpenViberError(
          'idempotency_conflict',
          'idempotencyKey was already used with different arguments: choose a new key for a new task',
          422,
        );
      }
      return { taskId: (JSON.parse(stored.body) as { taskId: string }).taskId, replayed: true };
    }
    const first = (async () => {
      const taskId = await create();
      await this.#store.putIdempotency({
        key: storeKey,
        requestHash,
        status: 201,
        body: JSON.stringify({ taskId }),
        createdAt: new Date().toISOString(),
      });
      return taskId;
    })();
    this.#inFlight.set(
      storeKey,
      first.catch(() => {}),
    );
    try {
      return { taskId: await first, replayed: false };
    } finally {
      this.#inFlight.delete(storeKey);
    }
  }
}
