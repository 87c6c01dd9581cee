import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dirs.ts';
import { ensureDir, type OpenViberHome, resolveHome } from '../core/home.ts';
import { BOARD_SESSION_COOKIE, DeviceListResponseSchema } from '../protocol/index.ts';
import { hashToken } from './auth/token-hash.ts';
import type { RunningGateway } from './gateway-options.ts';
import { startGateway } from './start-gateway.ts';
import { GATEWAY_DB_FILE } from './store/index.ts';
import { migrate } from './store/sqlite/sqlite-migrations.ts';

// Issue 11, item 10: a home from the token era keeps working after the upgrade, and each of its
// credentials becomes a paired device with the scopes it had.

const OPERATOR_TOKEN = 'ovo_token-era-operator-token-0123456789';
const VIBER_TOKEN = 'ovv_token-era-viber-token-0123456789';
const GONE_TOKEN = 'ovv_token-era-revoked-viber-token-012345';
const SESSION = 'ovs_token-era-board-session-0123456789';

/** The gateway database as the last token-era gateway (schema 4) left it. */
function tokenEraHome(): OpenViberHome {
  const home = resolveHome({ OPENVIBER_HOME: makeTempDir('token-era') });
  ensureDir(home.gateway);
  writeFileSync(join(home.gateway, 'operator-token'), `${OPERATOR_TOKEN}\n`, { mode: 0o600 });
  const db = new DatabaseSync(join(home.gateway, GATEWAY_DB_FILE));
  migrate(db, 4);
  const insert = db.prepare(
    'INSERT INTO vibers (id, name, token_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)',
  );
  insert.run('viber_kept', 'laptop', hashToken(VIBER_TOKEN), '2026-01-01T00:00:00.000Z', null);
  insert.run(
    'viber_gone',
    'old box',
    hashToken(GONE_TOKEN),
    '2026-01-01T00:00:00.000Z',
    '2026-02-01T00:00:00.000Z',
  );
  db.prepare('INSERT INTO board_sessions (token_hash, created_at, expires_at) VALUES (?, ?, ?)').run(
    hashToken(SESSION),
    '2026-01-01T00:00:00.000Z',
    '2099-01-01T00:00:00.000Z',
  );
  db.close();
  return home;
}

describe('a token-era home after the upgrade', () => {
  let gateway: RunningGateway | undefined;
  let home: OpenViberHome | undefined;
  afterEach(async () => {
    await gateway?.close();
    if (home) removeTempDir(home.root);
  });

  it('keeps the operator token, viber tokens and board sessions working, each as a paired device', async () => {
    home = tokenEraHome();
    gateway = await startGateway({ home, port: 0, logger: pino({ level: 'silent' }) });
    const get = (path: string, headers: Record<string, string>) =>
      fetch(`${gateway!.url}${path}`, { headers });

    expect((await get('/api/tasks', { authorization: `Bearer ${OPERATOR_TOKEN}` })).status).toBe(200);
    expect((await get('/api/tasks', { cookie: `${BOARD_SESSION_COOKIE}=${SESSION}` })).status).toBe(200);
    const pull = await get('/api/vibers/viber_kept/config', {
      authorization: `Bearer ${VIBER_TOKEN}`,
      'x-viber-id': 'viber_kept',
    });
    expect(pull.status).toBe(200);
    const gone = await get('/api/vibers/viber_gone/config', { authorization: `Bearer ${GONE_TOKEN}` });
    expect(gone.status).toBe(401);
    expect((await gone.json()).error.message).toBe('viber viber_gone was revoked');

    const listed = DeviceListResponseSchema.parse(
      await (await get('/api/devices', { authorization: `Bearer ${OPERATOR_TOKEN}` })).json(),
    );
    const byId = new Map(listed.devices.map((device) => [device.id, device]));
    expect(byId.get('operator-token')).toMatchObject({ role: 'operator', status: 'paired', keyId: null });
    expect(byId.get('operator-token')?.scopes).toContain('devices.admin');
    expect(byId.get('operator-token')?.tokenLastUsedAt).not.toBeNull();
    expect(byId.get('viber-viber_kept')).toMatchObject({
      role: 'node',
      status: 'paired',
      viberId: 'viber_kept',
    });
    expect(byId.get('viber-viber_gone')).toMatchObject({ status: 'revoked' });
  });
});
