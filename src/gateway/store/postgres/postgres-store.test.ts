import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type PostgresServer, usePostgresServer } from '../../../../test/support/postgres-server.ts';
import { waitFor } from '../../../../test/support/wait.ts';
import {
  aBinding,
  aCommand,
  addEnvironment,
  addTask,
  addViber,
  anEvent,
  aPrepare,
  aTask,
  tick,
} from '../contract/contract-harness.ts';
import type { GatewayStore } from '../gateway-store.ts';
import type { StoreChange } from '../store-changes.ts';
import { BINDING_SLOT_LOCK } from './postgres-environments.ts';
import { MIGRATION_LOCK, POSTGRES_SCHEMA_VERSION } from './postgres-migrations.ts';
import { OUTBOX_LOCK } from './postgres-outbox.ts';
import { openPostgresStore } from './postgres-store.ts';

// What the contract cannot show with one store: several gateways on one database (the migration
// lock, row locks instead of process memory), and a connection lost in the middle of a transaction.

const postgres = usePostgresServer();
const opened: GatewayStore[] = [];
const clients: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close().catch(() => {})));
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
});

async function open(url: string, onCommit: (changes: readonly StoreChange[]) => void = () => {}) {
  const failures: unknown[] = [];
  const store = await openPostgresStore(url, onCommit, (error) => failures.push(error));
  opened.push(store);
  return { store, failures };
}

/** A connection of the test's own, on the store's database (to hold a lock the store will wait for). */
async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** The backend of a store's transaction that waits for an advisory lock. */
function blockedBackend(server: PostgresServer, url: string): Promise<number> {
  const database = new URL(url).pathname.slice(1);
  return waitFor(
    async () =>
      (
        await server.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
          [database],
        )
      )[0]?.pid,
    { description: "a store's transaction waiting for the lock" },
  );
}

describe('the PostgreSQL store, with several gateways on one database', () => {
  it('migrates once when gateways open an empty database at the same moment', async () => {
    const url = await postgres.server.createDatabase();
    const stores = await Promise.all([open(url), open(url), open(url), open(url)]);
    const migrations = await postgres.server.query<{ version: number }>(
      'SELECT version FROM openviber_migrations ORDER BY version',
      [],
      new URL(url).pathname.slice(1),
    );
    expect(migrations.map((row) => row.version)).toEqual(
      Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => index + 1),
    );
    // Migration 1 ran once: one operator-token device, and every store reads what another wrote.
    expect(
      (await stores[0]!.store.listDevices()).filter((device) => device.id === 'operator-token'),
    ).toHaveLength(1);
    await addViber(stores[1]!.store, 'viber_a');
    expect(await stores[3]!.store.getViber('viber_a')).toMatchObject({ id: 'viber_a' });
  });

  it('waits for the migration lock another gateway holds', async () => {
    const url = await postgres.server.createDatabase();
    const holder = await connect(url);
    await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
    let done = false;
    const opening = open(url).then((result) => {
      done = true;
      return result;
    });
    await blockedBackend(postgres.server, url);
    expect(done).toBe(false);
    await holder.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]);
    const { store } = await opening;
    expect(await store.countTasks()).toBe(0);
  });

  it('keeps each task log gap-free and duplicate-free when two gateways append the same events at once', async () => {
    const url = await postgres.server.createDatabase();
    const [a, b] = [await open(url), await open(url)];
    await addViber(a.store, 'viber_a');
    await addTask(a.store, 'task_a', 'viber_a');
    await addTask(a.store, 'task_b', 'viber_a');
    // The same 60 events per task, each gateway in its own batches of 1 to 7, all at once.
    const send = async (store: GatewayStore, size: number) => {
      const outcomes: string[] = [];
      for (let seq = 1; seq <= 60; seq += size) {
        const batch = [];
        for (let next = seq; next < Math.min(seq + size, 61); next++) {
          batch.push(anEvent('task_a', next), anEvent('task_b', next));
        }
        const results = await store.appendTaskEvents('viber_a', batch);
        outcomes.push(...results.map((result) => result.outcome));
      }
      return outcomes;
    };
    const [fromA, fromB] = await Promise.all([send(a.store, 7), send(b.store, 1)]);
    const stored = [...fromA, ...fromB].filter((outcome) => outcome === 'stored');
    expect(stored).toHaveLength(120);
    for (const id of ['task_a', 'task_b']) {
      const log = await b.store.readTaskLog(id, 0, 1000);
      expect(log.map((row) => row.seq)).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
      expect(await a.store.getTask(id)).toMatchObject({ lastSeq: 60 });
    }
  });

  it('runs a transaction PostgreSQL broke for a deadlock again, and tells no failure', async () => {
    const url = await postgres.server.createDatabase();
    const { store, failures } = await open(url);
    await addViber(store, 'viber_a');
    await addEnvironment(store, 'environment_web', 'web');
    // The store takes the binding slot's lock, then waits for the viber's outbox lock, held here;
    // this connection then asks for the slot's lock: a cycle, which PostgreSQL breaks by aborting
    // the store's transaction (it waited longer; this session's own deadlock check comes later).
    const holder = await connect(url);
    await holder.query("SET deadlock_timeout = '20s'");
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [OUTBOX_LOCK, 'viber_a']);
    const binding = aBinding('binding_1', 'environment_web', 'viber_a');
    const upserting = store.upsertBinding('environment_web', 'viber_a', () => ({
      binding,
      command: aPrepare(binding),
    }));
    await blockedBackend(postgres.server, url);
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [
      BINDING_SLOT_LOCK,
      'environment_web/viber_a',
    ]);
    await holder.query('SELECT pg_advisory_unlock_all()');
    expect(await upserting).toEqual(binding);
    expect(failures).toEqual([]);
    expect(await store.listCommands('viber_a', 0, 10)).toHaveLength(1);
    // There was a deadlock to break (counted by PostgreSQL once the backend flushed its statistics).
    const database = new URL(url).pathname.slice(1);
    await waitFor(
      async () =>
        Number(
          (
            await postgres.server.query<{ deadlocks: string }>(
              'SELECT deadlocks FROM pg_stat_database WHERE datname = $1',
              [database],
            )
          )[0]?.deadlocks,
        ) === 1,
      { description: 'a deadlock counted', timeoutMs: 15_000 },
    );
  });

  it('gives an acknowledged command, a login code and an idempotency key to one gateway only', async () => {
    const url = await postgres.server.createDatabase();
    const [a, b] = [await open(url), await open(url)];
    await addViber(a.store, 'viber_a');
    await addTask(a.store, 'task_a', 'viber_a');
    const [submit] = await a.store.listCommands('viber_a', 0, 10);
    const acks = await Promise.all([
      a.store.acknowledgeCommand('viber_a', submit!.commandId, tick()),
      b.store.acknowledgeCommand('viber_a', submit!.commandId, tick()),
    ]);
    expect(acks.filter((ack) => ack !== null)).toEqual([submit]);

    const code = {
      hash: 'code',
      createdAt: tick(),
      expiresAt: '2999-01-01T00:00:00.000Z',
      role: 'node' as const,
      scopes: [],
    };
    await a.store.insertLoginCode(code);
    const uses = await Promise.all([
      a.store.consumeLoginCode('code', tick()),
      b.store.consumeLoginCode('code', tick()),
    ]);
    expect(uses.filter((use) => use !== null)).toHaveLength(1);

    const record = (body: string) => ({ key: 'key', requestHash: 'h', status: 201, body, createdAt: tick() });
    await Promise.all([
      a.store.putIdempotency(record('{"from":"a"}')),
      b.store.putIdempotency(record('{"from":"b"}')),
    ]);
    const kept = await a.store.getIdempotency('key');
    expect(['{"from":"a"}', '{"from":"b"}']).toContain(kept?.body);
    expect(await b.store.getIdempotency('key')).toEqual(kept);
  });
});

describe('the PostgreSQL store, when its connection is lost mid-transaction', () => {
  it('rejects a transaction whose backend was terminated, keeps none of it, and works again', async () => {
    const url = await postgres.server.createDatabase();
    const commits: (readonly StoreChange[])[] = [];
    const { store, failures } = await open(url, (changes) => commits.push(changes));
    await addViber(store, 'viber_a');
    // The task row is written, then the transaction waits for the viber's outbox lock, held here.
    const holder = await connect(url);
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [OUTBOX_LOCK, 'viber_a']);
    commits.length = 0;
    // Its outcome is taken at once: it fails while the test is still busy terminating the backend.
    const inserting = store
      .insertTask(aTask('task_a', 'viber_a'), aCommand('viber_a', 'task_a', 'task:submit'))
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    const pid = await blockedBackend(postgres.server, url);
    await postgres.server.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await inserting;
    expect(error).toMatchObject({ code: 'internal', status: 503 });
    expect((error as Error).message).toMatch(
      /lost its connection to PostgreSQL .*nothing was written; retry/,
    );
    expect(failures).toHaveLength(1);
    await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [OUTBOX_LOCK, 'viber_a']);
    expect(await store.getTask('task_a')).toBeNull();
    expect(await store.countCommands()).toBe(0);
    expect(commits).toEqual([]);
    await addTask(store, 'task_a', 'viber_a');
    expect(await store.countCommands()).toBe(1);
    expect(commits.map((changes) => changes.map((change) => change.type))).toEqual([['task.created']]);
  });

  it('rejects a transaction cut by a PostgreSQL restart, keeps none of it, and works again after', async () => {
    const url = await postgres.server.createDatabase();
    const { store, failures } = await open(url);
    await addViber(store, 'viber_a');
    const before = await addEnvironment(store, 'environment_web', 'web');
    const holder = await connect(url);
    await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [OUTBOX_LOCK, 'viber_a']);
    // The environment, its variables and secrets are written; then the sync command waits for the lock.
    const updating = store.updateEnvironment('environment_web', (current) => ({
      environment: { ...current.environment, description: 'half-written', version: 2 },
      variables: [],
      deleteSecrets: ['TOKEN'],
      commands: [aCommand('viber_a', null, 'environment:sync', { bindingId: 'binding_1' })],
    }));
    updating.catch(() => {}); // awaited below, after the restart it fails during
    await blockedBackend(postgres.server, url);
    await postgres.server.restart();
    await expect(updating).rejects.toThrow(/lost its connection to PostgreSQL .*nothing was written; retry/);
    expect(failures).toHaveLength(1);
    // The pool's other connections died with the server too; the next calls open new ones.
    expect(await store.getEnvironment('environment_web')).toEqual({ ...before, bindings: [] });
    expect(await store.countCommands()).toBe(0);
    const after = await store.updateEnvironment('environment_web', (current) => ({
      environment: { ...current.environment, description: 'written', version: 2 },
    }));
    expect(after?.environment).toMatchObject({ description: 'written', version: 2 });
  });
});

describe('the PostgreSQL store, refusing clearly', () => {
  it('says which server it could not reach when there is none, without the password', async () => {
    const opening = openPostgresStore('postgres://gateway:s3cret@127.0.0.1:1/openviber');
    await expect(opening).rejects.toThrow(
      /could not reach its PostgreSQL database 127\.0\.0\.1:1\/openviber: .*ECONNREFUSED/,
    );
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });

  it('refuses text with a NUL character as bad input, as nothing SQLite would crash on', async () => {
    const url = await postgres.server.createDatabase();
    const { store } = await open(url);
    await addViber(store, 'viber_a');
    await expect(
      store.insertTask(
        aTask('task_a', 'viber_a', { goal: 'a\u0000b' }),
        aCommand('viber_a', 'task_a', 'task:submit'),
      ),
    ).rejects.toMatchObject({ code: 'bad_request', status: 400 });
    expect(await store.countTasks()).toBe(0);
  });
});
