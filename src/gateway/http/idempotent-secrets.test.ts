import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { GATEWAY_DB_FILE } from '../store/index.ts';

// Hardening issue, item 2: POST /api/vibers with an Idempotency-Key used to keep the new viber's
// plaintext token in the idempotency table for 24 hours. The stored copy is now sealed under the
// master key: a retry still gets the same token, and the database never holds it in the clear.

let harness: TestGateway | undefined;
afterEach(async () => {
  delete process.env.OPENVIBER_MASTER_KEY;
  await harness?.cleanup();
  harness = undefined;
});

const register = (gateway: TestGateway, key: string, name = 'laptop') =>
  gateway.api('POST', '/api/vibers', { name }, { 'idempotency-key': key });

/** The idempotency table as stored, read straight from the sqlite file. */
function idempotencyRows(gateway: TestGateway): Array<{ key: string; body: string }> {
  const db = new DatabaseSync(join(gateway.home.gateway, GATEWAY_DB_FILE), { readOnly: true });
  try {
    return db.prepare('SELECT key, body FROM idempotency_keys').all() as Array<{ key: string; body: string }>;
  } finally {
    db.close();
  }
}

function databaseFilesContain(gateway: TestGateway, text: string): boolean {
  const db = join(gateway.home.gateway, GATEWAY_DB_FILE);
  return [db, `${db}-wal`].some((file) => existsSync(file) && readFileSync(file).includes(text));
}

describe('a registration retried with the same Idempotency-Key', () => {
  it('replays the same token from a sealed copy; no plaintext token is stored', async () => {
    harness = await TestGateway.start();
    const first = await register(harness, 'register-1');
    expect(first.status).toBe(201);
    const { id, token } = first.json as { id: string; token: string };
    expect(token).toMatch(/^ovd_/);

    const retry = await register(harness, 'register-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toEqual(first.json);
    expect((await harness.api('GET', '/api/vibers')).json.vibers).toHaveLength(1);

    const rows = idempotencyRows(harness);
    // Keys are kept per device: the operator token's.
    expect(rows.map((row) => row.key)).toEqual(['operator-token\nregister-1']);
    expect(rows[0]!.body).toMatch(/^sealed:/);
    expect(rows[0]!.body).not.toContain(token);
    expect(rows[0]!.body).not.toContain(token.slice(4, 24));
    expect(databaseFilesContain(harness, token)).toBe(false);

    // The replayed token is the one the gateway issued: it still connects, after a restart too.
    await harness.gateway.close();
    await harness.restart();
    const again = await register(harness, 'register-1');
    expect(again.json).toEqual(first.json);
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: id, token: again.json.token });
    await daemon.close();
  });

  it('says what to do when the sealed copy cannot be opened (another master key)', async () => {
    harness = await TestGateway.start();
    const first = await register(harness, 'register-2');
    await harness.gateway.close();
    process.env.OPENVIBER_MASTER_KEY = Buffer.alloc(32, 5).toString('base64');
    await harness.restart();
    const retry = await register(harness, 'register-2');
    expect(retry.status).toBe(409);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json.error.code).toBe('conflict');
    expect(retry.json.error.message).toMatch(
      /^the request with this Idempotency-Key was already carried out \(201\), but its response holds a secret that cannot be shown again \(it was encrypted with master key mk_[0-9a-f]{16}, but the gateway has mk_[0-9a-f]{16}\); viber viber_\S+ was registered; revoke it/,
    );
    expect(retry.json.error.message).toContain(first.json.id);
    expect(JSON.stringify(retry.json)).not.toContain(first.json.token);
    // Other responses replay as before: nothing else is sealed.
    const task = await harness.api('POST', '/api/tasks', { goal: 'x' }, { 'idempotency-key': 'task-1' });
    expect(idempotencyRows(harness).find((row) => row.key === 'operator-token\ntask-1')?.body).toBe(
      JSON.stringify(task.json),
    );
  });

  it('keeps no copy of the token without a usable master key, and a retry says so', async () => {
    harness = await TestGateway.start();
    // Secrets stored and the key file gone: the key is missing (no new one is made).
    await harness.api('POST', '/api/environments', {
      name: 'keyed',
      type: 'manual',
      secrets: { T: 'value-1234' },
    });
    await harness.gateway.close();
    rmSync(join(harness.home.gateway, 'master-key'));
    await harness.restart();
    const first = await register(harness, 'register-3');
    expect(first.status).toBe(201);
    const retry = await register(harness, 'register-3');
    expect(retry.status).toBe(409);
    expect(retry.json.error.message).toMatch(
      /cannot be shown again \(it was not kept: the master key is missing: .*\); viber viber_\S+ was registered; revoke it/,
    );
    expect(idempotencyRows(harness)[0]!.body).not.toContain(first.json.token);
    expect(databaseFilesContain(harness, first.json.token)).toBe(false);
  });
});
