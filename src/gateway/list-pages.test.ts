import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../test/support/fake-daemon.ts';
import { TestGateway } from '../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../test/support/wait.ts';
import { ErrorBodySchema, PAGE_LIMITS } from '../protocol/index.ts';

// Every list route pages with `?limit=&cursor=` and answers `nextCursor` (null on the last page),
// with its own filters; a bad limit or cursor is a precise 400. Over REST, on a real gateway.

const LISTS = [
  ['/api/vibers', 'vibers'],
  ['/api/tasks', 'tasks'],
  ['/api/environments', 'environments'],
  ['/api/devices', 'devices'],
] as const;

describe('list pages over REST', () => {
  let harness: TestGateway;
  beforeEach(async () => {
    harness = await TestGateway.start();
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  /** A 400 validation_failed whose message starts with the field. */
  async function expectRefused(path: string, field: RegExp) {
    const response = await harness.api('GET', path);
    expect(response.status, path).toBe(400);
    const { error } = ErrorBodySchema.parse(response.json);
    expect(error.code).toBe('validation_failed');
    expect(error.message, path).toMatch(field);
    return error.message;
  }

  /** Every row of a list, page after page with `limit`, and how many pages it took. */
  async function walk(path: string, field: string, limit: number, filters = '') {
    const rows: { id: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=${limit}${filters}${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await harness.api('GET', `${path}${query}`);
      expect(response.status, JSON.stringify(response.json)).toBe(200);
      expect(response.json[field].length).toBeLessThanOrEqual(limit);
      rows.push(...response.json[field]);
      cursor = response.json.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    return { ids: rows.map((row) => row.id), pages };
  }

  it('refuses a bad limit and a bad, foreign or made-up cursor with a 400 naming it, on every list', async () => {
    for (const [path] of LISTS) {
      await expectRefused(`${path}?limit=0`, /^limit: /);
      await expectRefused(`${path}?limit=${PAGE_LIMITS.max + 1}`, /^limit: .*500/);
      await expectRefused(`${path}?limit=ten`, /^limit: /);
      await expectRefused(`${path}?limit=2.5`, /^limit: /);
      await expectRefused(`${path}?cursor=not%20a%20cursor`, /^cursor: must be the nextCursor/);
      const garbage = Buffer.from('{"not":"a cursor"}').toString('base64url');
      await expectRefused(`${path}?cursor=${garbage}`, /^cursor: not a cursor of the \w+ list/);
      const truncated = Buffer.from('["vibers","a"').toString('base64url');
      await expectRefused(`${path}?cursor=${truncated}`, /^cursor: not a cursor of the \w+ list/);
    }
    // A cursor of one list given to another is told apart from a malformed one.
    for (let index = 0; index < 3; index++) await harness.gateway.registerViber(`viber ${index}`);
    const vibers = await harness.api('GET', '/api/vibers?limit=1');
    expect(vibers.json.nextCursor).toEqual(expect.any(String));
    expect(
      await expectRefused(
        `/api/tasks?cursor=${vibers.json.nextCursor}`,
        /^cursor: a cursor of the vibers list/,
      ),
    ).toBe('cursor: a cursor of the vibers list, not of the tasks list');
    await expectRefused(
      `/api/devices?cursor=${vibers.json.nextCursor}`,
      /^cursor: a cursor of the vibers list/,
    );
    // The right list's key in the wrong shape is a made-up cursor.
    const forged = Buffer.from('["vibers",7]').toString('base64url');
    await expectRefused(`/api/vibers?cursor=${forged}`, /^cursor: not a cursor of the vibers list/);
    expect((await harness.api('GET', `/api/vibers?limit=${PAGE_LIMITS.max}`)).status).toBe(200);
  });

  it('pages vibers by name, 50 by default, each once, and filters them by name and presence', async () => {
    const registered: { id: string; name: string; token: string }[] = [];
    for (let index = 0; index < 52; index++) {
      registered.push(
        await harness.gateway.registerViber(
          `${index % 2 ? 'Build' : 'desk'}-${String(index).padStart(2, '0')}`,
        ),
      );
    }
    const byName = [...registered]
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((viber) => viber.id);
    const first = await harness.api('GET', '/api/vibers');
    expect(first.json.vibers).toHaveLength(PAGE_LIMITS.default);
    expect(first.json.vibers.map((viber: { id: string }) => viber.id)).toEqual(byName.slice(0, 50));
    const second = await harness.api('GET', `/api/vibers?cursor=${first.json.nextCursor}`);
    expect(second.json.vibers.map((viber: { id: string }) => viber.id)).toEqual(byName.slice(50));
    expect(second.json.nextCursor).toBeNull();
    for (const limit of [1, 7, 52]) expect((await walk('/api/vibers', 'vibers', limit)).ids).toEqual(byName);
    expect((await walk('/api/vibers', 'vibers', 52)).pages).toBe(1);

    const builds = registered.filter((viber) => viber.name.startsWith('Build')).map((viber) => viber.id);
    expect((await walk('/api/vibers', 'vibers', 5, '&q=bUiLd')).ids.sort()).toEqual(builds.sort());
    expect((await walk('/api/vibers', 'vibers', 5, '&q=-07')).ids).toEqual([registered[7]!.id]);

    // Presence: one viber connected and idle, one connected with a running task, the rest offline.
    const idle = registered[3]!;
    const working = registered[10]!;
    const connect = async (viber: { id: string; token: string }) =>
      FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const daemons = [await connect(idle), await connect(working)];
    const task = await harness.api('POST', '/api/tasks', { goal: 'work', viberId: working.id });
    await daemons[1]!.startTask(task.json.id);
    await waitFor(
      async () => (await harness.api('GET', `/api/vibers/${working.id}`)).json.presence === 'busy',
    );
    expect((await walk('/api/vibers', 'vibers', 1, '&presence=online')).ids).toEqual([idle.id]);
    expect((await walk('/api/vibers', 'vibers', 1, '&presence=busy')).ids).toEqual([working.id]);
    const offline = await walk('/api/vibers', 'vibers', 20, '&presence=offline');
    expect(offline.ids).toEqual(byName.filter((id) => id !== idle.id && id !== working.id));
    const page = await harness.api('GET', '/api/vibers?presence=offline&limit=3');
    expect(page.json.vibers.map((viber: { presence: string }) => viber.presence)).toEqual([
      'offline',
      'offline',
      'offline',
    ]);
    expect((await walk('/api/vibers', 'vibers', 5, '&presence=busy&q=desk')).ids).toEqual([working.id]);
    await expectRefused('/api/vibers?presence=away', /^presence: /);
    for (const daemon of daemons) await daemon.close();
  });

  it('pages tasks newest first; tasks created between pages neither repeat nor hide one', async () => {
    const a = await harness.gateway.registerViber('a');
    const b = await harness.gateway.registerViber('b');
    const created: string[] = [];
    for (let index = 0; index < 9; index++) {
      const viberId = index % 3 === 0 ? b.id : a.id;
      created.push((await harness.api('POST', '/api/tasks', { goal: `task ${index}`, viberId })).json.id);
    }
    const newestFirst = [...created].reverse();
    expect((await walk('/api/tasks', 'tasks', 4)).ids).toEqual(newestFirst);
    const first = await harness.api('GET', '/api/tasks?limit=4');
    expect(first.json.tasks.map((task: { id: string }) => task.id)).toEqual(newestFirst.slice(0, 4));
    const later = (await harness.api('POST', '/api/tasks', { goal: 'later', viberId: a.id })).json.id;
    const rest = await harness.api('GET', `/api/tasks?limit=10&cursor=${first.json.nextCursor}`);
    expect(rest.json.tasks.map((task: { id: string }) => task.id)).toEqual(newestFirst.slice(4));
    expect(rest.json.nextCursor).toBeNull();
    expect((await harness.api('GET', '/api/tasks?limit=1')).json.tasks[0].id).toBe(later);
    const ofB = created.filter((_, index) => index % 3 === 0).reverse();
    expect((await walk('/api/tasks', 'tasks', 1, `&viberId=${b.id}`)).ids).toEqual(ofB);
    expect((await walk('/api/tasks', 'tasks', 2, `&viberId=${b.id}&status=pending`)).ids).toEqual(ofB);
    expect((await walk('/api/tasks', 'tasks', 2, '&status=running')).ids).toEqual([]);
    // The cursor of a filtered page continues that page, with the same filters.
    const filtered = await harness.api('GET', `/api/tasks?limit=2&viberId=${b.id}`);
    const next = await harness.api(
      'GET',
      `/api/tasks?limit=2&viberId=${b.id}&cursor=${filtered.json.nextCursor}`,
    );
    expect(next.json.tasks.map((task: { id: string }) => task.id)).toEqual(ofB.slice(2));
  });

  it('pages environments by name and filters them by a piece of the name', async () => {
    for (const name of ['web', 'API', 'docs', 'api-staging', 'batch']) {
      expect((await harness.api('POST', '/api/environments', { name, type: 'manual' })).status).toBe(201);
    }
    const names = async (limit: number, filters = '') => {
      const { ids } = await walk('/api/environments', 'environments', limit, filters);
      const all = (await harness.api('GET', `/api/environments?limit=${PAGE_LIMITS.max}`)).json.environments;
      return ids.map((id) => all.find((environment: { id: string }) => environment.id === id).name);
    };
    expect(await names(2)).toEqual(['API', 'api-staging', 'batch', 'docs', 'web']);
    expect(await names(1, '&q=API')).toEqual(['API', 'api-staging']);
    expect(await names(1, '&q=nothing')).toEqual([]);
    await expectRefused(`/api/environments?q=${'x'.repeat(201)}`, /^q: /);
    // The task list's environment filter takes an environment's id or its name.
    expect((await harness.api('GET', '/api/tasks?environmentId=docs')).json).toEqual({
      tasks: [],
      nextCursor: null,
    });
    const missing = await harness.api('GET', '/api/tasks?environmentId=no-such-environment');
    expect(missing.status).toBe(404);
  });

  it('pages devices paired before revoked, and filters them by status and role', async () => {
    const vibers: { id: string }[] = [];
    for (let index = 0; index < 4; index++) vibers.push(await harness.gateway.registerViber(`node ${index}`));
    await harness.api('DELETE', `/api/vibers/${vibers[1]!.id}`);
    const all = (await walk('/api/devices', 'devices', PAGE_LIMITS.max)).ids;
    expect(all).toHaveLength(5);
    expect(all.at(-1)).toBe(`viber-${vibers[1]!.id}`);
    for (const limit of [1, 2, 4]) expect((await walk('/api/devices', 'devices', limit)).ids).toEqual(all);
    expect((await walk('/api/devices', 'devices', 1, '&status=revoked')).ids).toEqual([
      `viber-${vibers[1]!.id}`,
    ]);
    expect((await walk('/api/devices', 'devices', 2, '&role=operator')).ids).toEqual(['operator-token']);
    const pairedNodes = [0, 2, 3].map((index) => `viber-${vibers[index]!.id}`);
    expect((await walk('/api/devices', 'devices', 2, '&role=node&status=paired')).ids).toEqual(
      all.filter((id) => pairedNodes.includes(id)),
    );
    expect((await walk('/api/devices', 'devices', 2, '&status=pending')).ids).toEqual([]);
    await expectRefused('/api/devices?status=lost', /^status: /);
    await expectRefused('/api/devices?role=admin', /^role: /);
  });

  it('keeps the list shapes: the rows under their old names, and nextCursor beside them', async () => {
    for (const [path, field] of LISTS) {
      const response = await harness.api('GET', path);
      expect(Object.keys(response.json).sort(), path).toEqual([field, 'nextCursor'].sort());
      expect(response.json.nextCursor).toBeNull();
    }
  });

  it('counts tasks for /health without reading the table, across a restart', async () => {
    const viber = await harness.gateway.registerViber('only');
    expect((await harness.api('GET', '/health')).json).toEqual({
      status: 'ok',
      vibers: 0,
      tasks: 0,
      version: expect.any(String),
    });
    for (let index = 0; index < 3; index++)
      await harness.api('POST', '/api/tasks', { goal: `g${index}`, viberId: viber.id });
    expect((await harness.api('GET', '/health')).json.tasks).toBe(3);
    await harness.gateway.close();
    await harness.restart();
    expect((await harness.api('GET', '/health')).json.tasks).toBe(3);
    await harness.api('POST', '/api/tasks', { goal: 'after', viberId: viber.id });
    expect((await harness.api('GET', '/health')).json.tasks).toBe(4);
  });
});
