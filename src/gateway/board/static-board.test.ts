import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAuth } from '../../../test/support/in-process/test-auth.ts';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { type GatewayStore, openSqliteStore } from '../store/index.ts';
import { boardRoutes, resolveBoardFile } from './static-board.ts';

const TOKEN = 'ovo_static-board-test-token-0123';

describe('board static files', () => {
  let dir: string;
  let store: GatewayStore;
  let app: ReturnType<typeof boardRoutes>;
  let auth: GatewayAuth;
  beforeAll(async () => {
    dir = makeTempDir('board');
    mkdirSync(join(dir, '_app/immutable'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>board</title>');
    writeFileSync(join(dir, '_app/immutable/app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    store = openSqliteStore(':memory:');
    auth = (await testAuth(store, TOKEN)).auth;
    app = boardRoutes({ dir, auth });
  });
  afterAll(async () => {
    await store.close();
    removeTempDir(dir);
  });
  const signedIn = { authorization: `Bearer ${TOKEN}` };

  it('serves assets to anyone, immutable ones with a long cache', async () => {
    const js = await app.request('/_app/immutable/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await app.request('/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers every page with the app shell when signed in, and redirects to sign-in otherwise', async () => {
    const page = await app.request('/tasks/task_1', { headers: signedIn });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>board</title>');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const anonymous = await app.request('/vibers?tab=1');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fvibers%3Ftab%3D1');
    expect((await app.request('/')).headers.get('location')).toBe('/login');
    expect((await app.request('/login')).status).toBe(200);
    // index.html is a page, not an asset: it needs a session too.
    expect((await app.request('/index.html')).status).toBe(302);
  });

  it('never answers for the API, the socket or health, and never leaves its folder', async () => {
    expect((await app.request('/api/tasks', { headers: signedIn })).status).toBe(404);
    expect((await app.request('/ws', { headers: signedIn })).status).toBe(404);
    expect((await app.request('/health')).status).toBe(404);
    expect(resolveBoardFile(dir, '/../../etc/passwd')).toBeUndefined();
    expect(resolveBoardFile(dir, '/_app/x.js')).toBe(join(dir, '_app/x.js'));
    expect(resolveBoardFile(dir, '/%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
    expect(resolveBoardFile(dir, '/%E0%A4%A')).toBeUndefined();
    expect(resolveBoardFile(dir, '/a%00b')).toBeUndefined();
    const traversal = await app.request('/%2e%2e/%2e%2e/etc/passwd', { headers: signedIn });
    expect(await traversal.text()).not.toContain('root:');
  });

  it('says how to build the board when it is missing', async () => {
    const missing = boardRoutes({ dir: join(dir, 'nope'), auth });
    const response = await missing.request('/', { headers: signedIn });
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/npm run build:board/);
  });
});
