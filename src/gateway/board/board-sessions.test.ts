import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testAuth } from '../../../test/support/in-process/test-auth.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { BOARD_SESSION_COOKIE } from '../../protocol/index.ts';
import { GATEWAY_DB_FILE, type GatewayStore, openSqliteStore } from '../store/index.ts';
import { BoardSessions, LOGIN_CODE_TTL_MS, SESSION_TTL_MS } from './board-sessions.ts';

/** The `name=value` part of a Set-Cookie header, as a browser sends it back. */
const cookieOf = (setCookie: string | null) => setCookie?.split(';')[0] ?? '';

describe('board sign-in over HTTP', () => {
  let harness: TestGateway;
  beforeEach(async () => {
    harness = await TestGateway.start();
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  const anonymous = (path: string, init: RequestInit = {}) => fetch(`${harness.gateway.url}${path}`, init);
  const origin = () => harness.gateway.url;

  async function signInWithCode(): Promise<{ cookie: string; setCookie: string }> {
    const minted = await harness.api('POST', '/api/login-codes');
    expect(minted.status).toBe(201);
    expect(minted.json.path).toBe(`/login#code=${minted.json.code}`);
    const response = await anonymous('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: origin() },
      body: JSON.stringify({ code: minted.json.code }),
    });
    expect(response.status).toBe(201);
    const setCookie = response.headers.get('set-cookie') ?? '';
    return { cookie: cookieOf(setCookie), setCookie };
  }

  it('exchanges a one-time code for an HttpOnly, SameSite=Strict session cookie, once', async () => {
    const minted = await harness.api('POST', '/api/login-codes');
    const body = JSON.stringify({ code: minted.json.code });
    const headers = { 'content-type': 'application/json' };
    const first = await anonymous('/api/session', { method: 'POST', headers, body });
    expect(first.status).toBe(201);
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${BOARD_SESSION_COOKIE}=ovs_`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // plain http here; https adds it
    const again = await anonymous('/api/session', { method: 'POST', headers, body });
    expect(again.status).toBe(401);
    expect((await again.json()).error.message).toMatch(/already used or has expired/);
  });

  it('marks the cookie Secure behind https', async () => {
    const minted = await harness.api('POST', '/api/login-codes');
    const response = await anonymous('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ code: minted.json.code }),
    });
    expect(response.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('lets the session read the API and refuses cookie writes from another origin', async () => {
    const { cookie } = await signInWithCode();
    const session = await anonymous('/api/session', { headers: { cookie } });
    expect(await session.json()).toMatchObject({ via: 'session', expiresAt: expect.any(String) });
    expect((await anonymous('/api/tasks', { headers: { cookie } })).status).toBe(200);

    const write = (headers: Record<string, string>) =>
      anonymous('/api/vibers', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: 'from the board' }),
      });
    expect((await write({})).status).toBe(403);
    expect((await write({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await write({ origin: 'null' })).status).toBe(403);
    expect((await write({ origin: origin() })).status).toBe(201);
    expect((await write({ 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    // A bearer token needs no origin: the CLI has none.
    expect((await harness.api('POST', '/api/vibers', { name: 'cli' })).status).toBe(201);
  });

  it('accepts the operator token typed by hand and refuses anything else', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      anonymous('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await post({ token: TEST_OPERATOR_TOKEN })).status).toBe(201);
    expect((await post({ token: 'ovo_wrong-token-0123456789' })).status).toBe(401);
    expect((await post({ code: 'ovc_made-up' })).status).toBe(401);
    expect((await post({})).status).toBe(400);
    expect((await post({ code: 'x', token: 'y' })).status).toBe(400);
    expect((await post({ token: TEST_OPERATOR_TOKEN }, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('signs out: the cookie is cleared and the session no longer works', async () => {
    const { cookie } = await signInWithCode();
    const out = await anonymous('/api/session/logout', {
      method: 'POST',
      headers: { cookie, origin: origin() },
    });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${BOARD_SESSION_COOKIE}=;`));
    const after = await anonymous('/api/tasks', { headers: { cookie } });
    expect(after.status).toBe(401);
    expect((await after.json()).error.message).toMatch(/sign in again/);
  });

  it('refuses the API and pages without a session', async () => {
    expect((await anonymous('/api/tasks')).status).toBe(401);
    expect((await anonymous('/api/events')).status).toBe(401);
    expect((await anonymous('/api/login-codes', { method: 'POST' })).status).toBe(401);
    expect((await anonymous('/api/session')).status).toBe(401);
    const page = await anonymous('/tasks/task_abc?x=1', { redirect: 'manual' });
    if (page.status !== 503) {
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/tasks/task_abc?x=1')}`);
    }
    expect(
      (await anonymous('/api/nothing-here', { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } }))
        .status,
    ).toBe(404);
  });

  it('keeps only hashes of codes and sessions', async () => {
    const minted = await harness.api('POST', '/api/login-codes');
    const { cookie } = await signInWithCode();
    const db = readFileSync(join(harness.home.gateway, GATEWAY_DB_FILE)).toString('latin1');
    const wal = readFileSync(join(harness.home.gateway, `${GATEWAY_DB_FILE}-wal`)).toString('latin1');
    for (const secret of [minted.json.code as string, cookie.split('=')[1]!]) {
      expect(db).not.toContain(secret);
      expect(wal).not.toContain(secret);
    }
  });
});

describe('BoardSessions', () => {
  let store: GatewayStore;
  let now = Date.parse('2030-01-01T00:00:00Z');
  beforeEach(() => {
    store = openSqliteStore(':memory:');
    now = Date.parse('2030-01-01T00:00:00Z');
  });
  afterEach(async () => {
    await store.close();
  });
  const source = { address: '127.0.0.1', loopback: true };
  const sessions = async () => {
    const { auth, devices } = await testAuth(store, TEST_OPERATOR_TOKEN, () => now);
    return new BoardSessions(store, auth, devices, () => now);
  };
  const authenticate = async (token: string) =>
    (await testAuth(store)).auth.authenticate({ authorization: undefined, sessionToken: token, source });

  it('lets a login code expire', async () => {
    const { code } = await (await sessions()).mintLoginCode(['tasks.read']);
    now += LOGIN_CODE_TTL_MS + 1;
    await expect((await sessions()).signIn({ code }, source)).rejects.toThrow(/expired/);
  });

  it('ends a session at its expiry', async () => {
    const { code } = await (await sessions()).mintLoginCode(['tasks.read']);
    const issued = await (await sessions()).signIn({ code }, source);
    expect(Date.parse(issued.expiresAt) - now).toBe(SESSION_TTL_MS);
    expect((await authenticate(issued.token)).ok).toBe(true);
    await store.purgeBoardSecrets(new Date(Date.parse(issued.expiresAt) + 1).toISOString());
    const result = await authenticate(issued.token);
    expect(result.ok).toBe(false);
  });
});
