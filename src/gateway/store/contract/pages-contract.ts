import { describe, expect, it } from 'vitest';
import type { DevicePageKey, DeviceRecord } from '../devices-store.ts';
import type { EnvironmentPageKey, FullEnvironment } from '../environments-store.ts';
import type { GatewayStore } from '../gateway-store.ts';
import type { Page } from '../store-page.ts';
import type { TaskPageKey, TaskRecord } from '../tasks-store.ts';
import type { ViberPageKey, ViberRecord } from '../vibers-store.ts';
import { addEnvironment, addTask, addViber, type OpenStore, tick, useStore } from './contract-harness.ts';
import { pendingDevice } from './devices-contract.ts';

/**
 * Keyset pages of every list (store-page.ts): read page by page with the key each page gives,
 * a list comes out whole, in its order, each row once, the same as in one page; a row inserted
 * between two pages neither repeats nor hides another; filters and the limit hold on every page.
 */

/** Every page of a list, following `next` from the start; the pages' sizes beside the rows. */
async function walk<T, K>(
  read: (after: K | undefined) => Promise<Page<T, K>>,
): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let after: K | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await read(after);
    items.push(...page.items);
    sizes.push(page.items.length);
    if (page.next === null) return { items, sizes };
    after = page.next;
  }
  throw new Error('the pages never ended');
}

const viberIds =
  (store: GatewayStore) =>
  async (limit: number, query: object = {}) =>
    (
      await walk<ViberRecord, ViberPageKey>((after) =>
        store.viberPage({ limit, ...query, ...(after ? { after } : {}) }),
      )
    ).items.map((viber) => viber.id);

async function addNamedViber(store: GatewayStore, id: string, name: string): Promise<void> {
  await store.insertViber({ id, name, createdAt: tick() });
}

const device = (
  id: string,
  status: DeviceRecord['status'],
  createdAt: string,
  role: DeviceRecord['role'] = 'node',
) => pendingDevice(id, { keyId: id, status, createdAt, role, expiresAt: null });
const at = (minute: number) => `2030-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

export function pagesContract(open: OpenStore): void {
  describe('pages', () => {
    const t = useStore(open);

    it('pages vibers by name, ignoring ASCII case, then by id, each once, without the revoked', async () => {
      const names: [string, string][] = [
        ['viber_1', 'delta'],
        ['viber_2', 'Alpha'],
        ['viber_3', 'charlie'],
        ['viber_4', 'BRAVO'],
        ['viber_5', 'alpha'],
        ['viber_6', 'echo'],
        ['viber_7', 'Charlie'],
      ];
      for (const [id, name] of names) await addNamedViber(t.store, id, name);
      await t.store.revokeViber('viber_6', tick());
      const order = ['viber_2', 'viber_5', 'viber_4', 'viber_3', 'viber_7', 'viber_1'];
      const ids = viberIds(t.store);
      for (const limit of [1, 2, 3, 5, 6, 7, 500]) expect(await ids(limit)).toEqual(order);
      const first = await t.store.viberPage({ limit: 6 });
      expect(first.items.map((viber) => viber.id)).toEqual(order);
      expect(first.next).toBeNull();
      const two = await t.store.viberPage({ limit: 2 });
      expect(two.items.map((viber) => viber.name)).toEqual(['Alpha', 'alpha']);
      expect(two.next).not.toBeNull();
      expect((await t.store.viberPage({ limit: 4 })).items[3]).toEqual(await t.store.getViber('viber_3'));
    });

    it('continues a viber page after its key: vibers added or revoked meanwhile never make one repeat or go missing', async () => {
      for (const [id, name] of [
        ['viber_b', 'b'],
        ['viber_d', 'd'],
        ['viber_f', 'f'],
        ['viber_h', 'h'],
      ])
        await addNamedViber(t.store, id!, name!);
      const first = await t.store.viberPage({ limit: 2 });
      expect(first.items.map((viber) => viber.id)).toEqual(['viber_b', 'viber_d']);
      // Before the key (not shown: the page went past it), after it (shown), and the last one
      // shown revoked: the next page goes on from where the first ended.
      await addNamedViber(t.store, 'viber_a', 'a');
      await addNamedViber(t.store, 'viber_e', 'e');
      await t.store.revokeViber('viber_d', tick());
      const second = await t.store.viberPage({ limit: 2, after: first.next! });
      expect(second.items.map((viber) => viber.id)).toEqual(['viber_e', 'viber_f']);
      const third = await t.store.viberPage({ limit: 2, after: second.next! });
      expect(third.items.map((viber) => viber.id)).toEqual(['viber_h']);
      expect(third.next).toBeNull();
      // A key past the end is an empty last page.
      expect(await t.store.viberPage({ limit: 2, after: ['zzz', 'viber_z'] })).toEqual({
        items: [],
        next: null,
      });
    });

    it('filters vibers by a piece of the name and by id, on every page', async () => {
      for (let index = 0; index < 9; index++) {
        await addNamedViber(t.store, `viber_${index}`, `${index % 2 ? 'Build' : 'desk'}-${index}`);
      }
      const ids = viberIds(t.store);
      expect(await ids(2, { nameContains: 'bUIL' })).toEqual(['viber_1', 'viber_3', 'viber_5', 'viber_7']);
      expect(await ids(2, { nameContains: 'nothing' })).toEqual([]);
      expect(await ids(1, { onlyIds: ['viber_8', 'viber_2', 'viber_missing'] })).toEqual([
        'viber_2',
        'viber_8',
      ]);
      expect(await ids(2, { onlyIds: [] })).toEqual([]);
      expect(await ids(3, { exceptIds: ['viber_0', 'viber_1', 'viber_2', 'viber_3'] })).toEqual([
        'viber_5',
        'viber_7',
        'viber_4',
        'viber_6',
        'viber_8',
      ]);
      expect(await ids(3, { exceptIds: [] })).toHaveLength(9);
      expect(await ids(2, { nameContains: 'desk', exceptIds: ['viber_0'] })).toEqual([
        'viber_2',
        'viber_4',
        'viber_6',
        'viber_8',
      ]);
    });

    it('pages tasks newest first, each once; tasks created meanwhile never make one repeat or go missing', async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      for (let index = 1; index <= 7; index++) await addTask(t.store, `task_${index}`, 'viber_a');
      const all = ['task_7', 'task_6', 'task_5', 'task_4', 'task_3', 'task_2', 'task_1'];
      for (const limit of [1, 2, 3, 7, 8, 500]) {
        const walked = await walk<TaskRecord, TaskPageKey>((after) =>
          t.store.taskPage({ limit, ...(after ? { after } : {}) }),
        );
        expect(walked.items.map((task) => task.id)).toEqual(all);
        expect(walked.sizes.every((size) => size <= limit)).toBe(true);
      }
      // Seven tasks in pages of seven: one page, and no empty one after it.
      expect((await t.store.taskPage({ limit: 7 })).next).toBeNull();
      const first = await t.store.taskPage({ limit: 3 });
      expect(first.items.map((task) => task.id)).toEqual(['task_7', 'task_6', 'task_5']);
      await addTask(t.store, 'task_8', 'viber_a');
      const rest = await walk<TaskRecord, TaskPageKey>((after) =>
        t.store.taskPage({ limit: 3, after: after ?? first.next! }),
      );
      expect(rest.items.map((task) => task.id)).toEqual(['task_4', 'task_3', 'task_2', 'task_1']);
      expect((await t.store.taskPage({ limit: 1 })).items[0]?.id).toBe('task_8');
    });

    it('filters task pages by viber, status and environment, alone and together', async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      const specs: [string, 'viber_a' | 'viber_b', 'pending' | 'running', string | undefined][] = [
        ['task_1', 'viber_a', 'running', 'environment_e'],
        ['task_2', 'viber_b', 'running', undefined],
        ['task_3', 'viber_a', 'pending', 'environment_e'],
        ['task_4', 'viber_a', 'running', undefined],
        ['task_5', 'viber_b', 'pending', 'environment_e'],
        ['task_6', 'viber_a', 'running', 'environment_e'],
      ];
      for (const [id, viberId, status, environmentId] of specs) {
        await addTask(t.store, id, viberId, { status, options: environmentId ? { environmentId } : {} });
      }
      const ids = async (filter: object) =>
        (
          await walk<TaskRecord, TaskPageKey>((after) =>
            t.store.taskPage({ limit: 1, ...filter, ...(after ? { after } : {}) }),
          )
        ).items.map((task) => task.id);
      expect(await ids({ viberId: 'viber_a' })).toEqual(['task_6', 'task_4', 'task_3', 'task_1']);
      expect(await ids({ status: 'running' })).toEqual(['task_6', 'task_4', 'task_2', 'task_1']);
      expect(await ids({ environmentId: 'environment_e' })).toEqual(['task_6', 'task_5', 'task_3', 'task_1']);
      expect(await ids({ viberId: 'viber_a', status: 'running' })).toEqual(['task_6', 'task_4', 'task_1']);
      expect(await ids({ environmentId: 'environment_e', viberId: 'viber_b' })).toEqual(['task_5']);
      expect(await ids({ environmentId: 'environment_e', status: 'pending', viberId: 'viber_a' })).toEqual([
        'task_3',
      ]);
      expect(await ids({ viberId: 'viber_missing' })).toEqual([]);
    });

    it('pages environments by name, ignoring ASCII case, with a name filter', async () => {
      for (const [id, name] of [
        ['environment_1', 'web'],
        ['environment_2', 'API'],
        ['environment_3', 'docs'],
        ['environment_4', 'Api-staging'],
        ['environment_5', 'batch'],
      ])
        await addEnvironment(t.store, id!, name!);
      const names = async (limit: number, nameContains?: string) =>
        (
          await walk<FullEnvironment, EnvironmentPageKey>((after) =>
            t.store.environmentPage({
              limit,
              ...(nameContains ? { nameContains } : {}),
              ...(after ? { after } : {}),
            }),
          )
        ).items.map((full) => full.environment.name);
      for (const limit of [1, 2, 4, 5, 100]) {
        expect(await names(limit)).toEqual(['API', 'Api-staging', 'batch', 'docs', 'web']);
      }
      expect(await names(1, 'api')).toEqual(['API', 'Api-staging']);
      const first = await t.store.environmentPage({ limit: 2 });
      expect(first.items[0]).toEqual(await t.store.getEnvironment('environment_2'));
      await addEnvironment(t.store, 'environment_6', 'aaa');
      await addEnvironment(t.store, 'environment_7', 'cache');
      await t.store.deleteEnvironment('environment_4');
      const rest = await walk<FullEnvironment, EnvironmentPageKey>((after) =>
        t.store.environmentPage({ limit: 2, after: after ?? first.next! }),
      );
      expect(rest.items.map((full) => full.environment.name)).toEqual(['batch', 'cache', 'docs', 'web']);
    });

    it('pages devices section by section: pending newest first, then paired, then revoked', async () => {
      await t.store.insertDevice(device('p1', 'pending', at(1)));
      await t.store.insertDevice(device('p2', 'pending', at(3)));
      await t.store.insertDevice(device('p3', 'pending', at(3)));
      await t.store.insertDevice(device('a1', 'paired', at(2), 'operator'));
      await t.store.insertDevice(device('a2', 'paired', at(1)));
      await t.store.insertDevice(device('r1', 'revoked', at(0)));
      await t.store.insertDevice(device('r2', 'revoked', at(4), 'operator'));
      // The operator token (made by the migrations) is paired, created when the store was.
      const all = (await t.store.listDevices()).map((record) => record.id);
      expect(all.slice(0, 3)).toEqual(['p3', 'p2', 'p1']);
      expect(all.slice(-2)).toEqual(['r1', 'r2']);
      expect(all.filter((id) => id !== 'operator-token').slice(3, 5)).toEqual(['a2', 'a1']);
      const ids = async (limit: number, query: object = {}) =>
        (
          await walk<DeviceRecord, DevicePageKey>((after) =>
            t.store.devicePage({ limit, ...query, ...(after ? { after } : {}) }),
          )
        ).items.map((record) => record.id);
      for (const limit of [1, 2, 3, 4, 8, 9, 500]) expect(await ids(limit)).toEqual(all);
      expect(await ids(1, { status: 'pending' })).toEqual(['p3', 'p2', 'p1']);
      expect(await ids(2, { status: 'revoked' })).toEqual(['r1', 'r2']);
      expect(await ids(1, { role: 'operator' })).toEqual(
        all.filter((id) => ['a1', 'r2', 'operator-token'].includes(id)),
      );
      expect(await ids(1, { status: 'paired', role: 'node' })).toEqual(['a2']);
      expect((await t.store.devicePage({ limit: 1 })).items[0]).toEqual(await t.store.getDevice('p3'));
    });

    it('continues a device page across sections, whatever was added meanwhile', async () => {
      await t.store.insertDevice(device('p1', 'pending', at(5)));
      await t.store.insertDevice(device('p2', 'pending', at(4)));
      await t.store.insertDevice(device('r1', 'revoked', at(1)));
      const first = await t.store.devicePage({ limit: 2 });
      expect(first.items.map((record) => record.id)).toEqual(['p1', 'p2']);
      // A newer request (before the key: not shown), an older one (after it: shown), a revoked one.
      await t.store.insertDevice(device('p0', 'pending', at(9)));
      await t.store.insertDevice(device('p3', 'pending', at(2)));
      await t.store.insertDevice(device('r2', 'revoked', at(3)));
      const rest = await walk<DeviceRecord, DevicePageKey>((after) =>
        t.store.devicePage({ limit: 2, after: after ?? first.next! }),
      );
      expect(rest.items.map((record) => record.id)).toEqual(['p3', 'operator-token', 'r1', 'r2']);
    });
  });
}
