import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAuth } from '../../../test/support/in-process/test-auth.ts';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { type GatewayStore, openSqliteStore } from '../store/index.ts';
import { acceptedEncodings, boardRoutes, resolveBoardFile } from './static-board.ts';

const TOKEN = 'ovo_static-board-test-token-0123';
/** Text worth compressing (over the 1 KB below which files go as they are). */
const SCRIPT = 'export const board = "the viber board";\n'.repeat(100);
const SHELL = `<!doctype html><title>board</title>${'<meta name="x" content="y">'.repeat(60)}`;

describe('board static files', () => {
  let dir: string;
  let store: GatewayStore;
  let app: ReturnType<typeof boardRoutes>;
  let auth: GatewayAuth;
  beforeAll(async () => {
    dir = makeTempDir('board');
    mkdirSync(join(dir, '_app/immutable'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), SHELL);
    writeFileSync(join(dir, '_app/immutable/app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    // As web/scripts/compress.ts leaves a build: each big text file with its .br and .gz.
    for (const [file, text] of [
      ['_app/immutable/big.js', SCRIPT],
      ['index.html', SHELL],
    ] as const) {
      writeFileSync(join(dir, file), text);
      writeFileSync(join(dir, `${file}.br`), brotliCompressSync(text));
      writeFileSync(join(dir, `${file}.gz`), gzipSync(text));
    }
    // One without variants (compressed by the gateway), one whose variants are left from an older
    // build, and an image (never compressed).
    writeFileSync(join(dir, '_app/immutable/plain.js'), SCRIPT);
    writeFileSync(join(dir, '_app/immutable/stale.js'), SCRIPT);
    writeFileSync(join(dir, '_app/immutable/stale.js.br'), brotliCompressSync('old build'));
    writeFileSync(join(dir, '_app/immutable/stale.js.gz'), gzipSync('old build'));
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, '_app/immutable/stale.js.br'), past, past);
    utimesSync(join(dir, '_app/immutable/stale.js.gz'), past, past);
    writeFileSync(join(dir, 'icon.png'), Buffer.alloc(4096, 7));
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
    expect(page.headers.get('cache-control')).toBe('no-cache');
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

  const bytes = async (response: Response) => Buffer.from(await response.arrayBuffer());

  it('serves the precompressed brotli or gzip file the client accepts, with its length and Vary', async () => {
    const br = await app.request('/_app/immutable/big.js', {
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    const brBody = await bytes(br);
    expect(brBody).toEqual(brotliCompressSync(SCRIPT)); // the file on disk, not compressed again
    expect(Number(br.headers.get('content-length'))).toBe(brBody.length);
    expect(brBody.length).toBeLessThan(SCRIPT.length / 4);
    expect(brotliDecompressSync(brBody).toString()).toBe(SCRIPT);

    const gz = await app.request('/_app/immutable/big.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const gzBody = await bytes(gz);
    expect(Number(gz.headers.get('content-length'))).toBe(gzBody.length);
    expect(gunzipSync(gzBody).toString()).toBe(SCRIPT);

    // No Accept-Encoding, or every encoding refused: the file as it is (and still Vary).
    for (const header of [undefined, 'identity', 'br;q=0, gzip;q=0', '*;q=0']) {
      const plain = await app.request('/_app/immutable/big.js', {
        headers: header ? { 'accept-encoding': header } : {},
      });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plain.headers.get('vary')).toBe('Accept-Encoding');
      expect((await bytes(plain)).toString()).toBe(SCRIPT);
      expect(Number(plain.headers.get('content-length'))).toBe(SCRIPT.length);
    }
  });

  it('negotiates by q-value: br before gzip when equal, a refused one never, * for the rest', () => {
    expect(acceptedEncodings('gzip, deflate, br, zstd')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('gzip;q=1.0, br;q=0.5')).toEqual(['gzip', 'br']);
    expect(acceptedEncodings('br;q=0, gzip')).toEqual(['gzip']);
    expect(acceptedEncodings('*')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('gzip;q=0, *;q=0.1')).toEqual(['br']);
    expect(acceptedEncodings('identity')).toEqual([]);
    expect(acceptedEncodings('')).toEqual([]);
    expect(acceptedEncodings(undefined)).toEqual([]);
  });

  it('compresses a file whose variants are missing or stale itself, and nothing not worth it', async () => {
    for (const file of ['plain.js', 'stale.js']) {
      const response = await app.request(`/_app/immutable/${file}`, { headers: { 'accept-encoding': 'br' } });
      expect(response.headers.get('content-encoding')).toBe('br');
      const body = await bytes(response);
      expect(Number(response.headers.get('content-length'))).toBe(body.length);
      expect(brotliDecompressSync(body).toString()).toBe(SCRIPT);
      const gzip = await app.request(`/_app/immutable/${file}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gunzipSync(await bytes(gzip)).toString()).toBe(SCRIPT);
    }
    // Under 1 KB: as it is. An image: as it is, and no Vary (it never varies).
    const small = await app.request('/_app/immutable/app.js', { headers: { 'accept-encoding': 'br, gzip' } });
    expect(small.headers.get('content-encoding')).toBeNull();
    expect(await small.text()).toBe('console.log(1)');
    const image = await app.request('/icon.png', { headers: { 'accept-encoding': 'br, gzip' } });
    expect(image.headers.get('content-encoding')).toBeNull();
    expect(image.headers.get('vary')).toBeNull();
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await bytes(image)).length).toBe(4096);
  });

  it('caches hashed assets for a year and revalidates the rest, with a 304 for a current copy', async () => {
    const immutable = await app.request('/_app/immutable/big.js', { headers: { 'accept-encoding': 'br' } });
    expect(immutable.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await app.request('/favicon.svg')).headers.get('cache-control')).toBe('no-cache');

    // Each encoding has its own ETag; a copy in one encoding is not current for another.
    const etag = immutable.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const gzipEtag = (
      await app.request('/_app/immutable/big.js', { headers: { 'accept-encoding': 'gzip' } })
    ).headers.get('etag');
    const plainEtag = (await app.request('/_app/immutable/big.js')).headers.get('etag');
    expect(new Set([etag, gzipEtag, plainEtag]).size).toBe(3);

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await app.request('/_app/immutable/big.js', {
        headers: { 'accept-encoding': 'br', 'if-none-match': ifNoneMatch },
      });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      expect(again.headers.get('vary')).toBe('Accept-Encoding');
      expect(again.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(again.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const otherEncoding = await app.request('/_app/immutable/big.js', {
      headers: { 'accept-encoding': 'gzip', 'if-none-match': etag },
    });
    expect(otherEncoding.status).toBe(200);
    expect(otherEncoding.headers.get('content-encoding')).toBe('gzip');
  });

  it('sends the page compressed, revalidated, and a 304 only to a signed-in browser', async () => {
    const page = await app.request('/tasks/task_1', { headers: { ...signedIn, 'accept-encoding': 'br' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-encoding')).toBe('br');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(brotliDecompressSync(await bytes(page)).toString()).toBe(SHELL);
    const etag = page.headers.get('etag')!;
    const current = await app.request('/vibers', {
      headers: { ...signedIn, 'accept-encoding': 'br', 'if-none-match': etag },
    });
    expect(current.status).toBe(304);
    const anonymous = await app.request('/vibers', {
      headers: { 'accept-encoding': 'br', 'if-none-match': etag },
    });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fvibers');
  });

  it('answers HEAD with the headers and length of GET and no body', async () => {
    const head = await app.request('/_app/immutable/big.js', {
      method: 'HEAD',
      headers: { 'accept-encoding': 'br' },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-encoding')).toBe('br');
    expect(Number(head.headers.get('content-length'))).toBe(brotliCompressSync(SCRIPT).length);
    expect(await head.text()).toBe('');
  });

  it('never serves a variant from outside its folder', async () => {
    const outside = makeTempDir('board-outside');
    try {
      const board = join(outside, 'board');
      mkdirSync(board);
      writeFileSync(join(board, 'index.html'), SHELL);
      writeFileSync(join(outside, 'secret.js'), 'const secret = "s3cr3t";\n'.repeat(100));
      writeFileSync(join(outside, 'secret.js.br'), brotliCompressSync('s3cr3t'));
      const escaped = boardRoutes({ dir: board, auth });
      for (const path of ['/../secret.js', '/%2e%2e/secret.js', '/..%2fsecret.js', '/%2e%2e/secret.js.br']) {
        const response = await escaped.request(path, { headers: { ...signedIn, 'accept-encoding': 'br' } });
        const body = await bytes(response);
        const text = response.headers.get('content-encoding') ? brotliDecompressSync(body) : body;
        expect(text.toString()).not.toContain('s3cr3t');
      }
    } finally {
      removeTempDir(outside);
    }
  });

  it('says how to build the board when it is missing', async () => {
    const missing = boardRoutes({ dir: join(dir, 'nope'), auth });
    const response = await missing.request('/', { headers: signedIn });
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/npm run build:board/);
  });
});
