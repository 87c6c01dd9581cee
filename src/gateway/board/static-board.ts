import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { authenticateRequest } from '../http/request-auth.ts';
import type { GatewayEnv } from '../http/route-context.ts';

/** Where `npm run build:board` puts the board (web/build at the repository root). */
export const DEFAULT_BOARD_DIR = fileURLToPath(new URL('../../../web/build', import.meta.url));

/** Pages anyone may load: the sign-in page. Every other page needs a session. */
const PUBLIC_PAGES = new Set(['/login']);
/** Paths the board never answers: the API, the daemon socket and the health check keep their own. */
const NOT_BOARD = /^\/(api|ws|health)(\/|$)/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Headers of every board response: no sniffing, no framing, no Referer leaving the board. */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** The file under `dir` a URL path names, or undefined when it escapes `dir` or is malformed. */
export function resolveBoardFile(dir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const root = resolve(dir);
  const file = resolve(root, `.${decoded}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function fileIfExists(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function send(c: Context, body: Uint8Array, file: string, cacheControl: string): Response {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': cacheControl,
  };
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

/**
 * Serves the built board (a static single-page app) on the gateway's own port: assets as files,
 * every other path as the app shell (index.html), which the browser routes. Assets are public
 * (the app's code holds no data); pages need a session and otherwise redirect to the sign-in page.
 */
export function boardRoutes(options: { dir: string; auth: GatewayAuth }): Hono<GatewayEnv> {
  const { dir, auth } = options;
  const signedIn = async (c: Context) => (await authenticateRequest(auth, c)).ok;

  return new Hono<GatewayEnv>().get('*', async (c) => {
    const path = c.req.path;
    if (NOT_BOARD.test(path)) return c.notFound();
    const asset = path.endsWith('.html') ? undefined : await fileIfExists(resolveBoardFile(dir, path));
    if (asset) {
      const immutable = path.startsWith('/_app/immutable/');
      return send(
        c,
        await readFile(asset),
        asset,
        immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    }
    const shell = join(dir, 'index.html');
    if (!(await fileIfExists(shell))) {
      return c.text(
        'The Viber Board is not built. Run `npm run build:board` (npm start does it for you), then reload.',
        503,
        SECURITY_HEADERS,
      );
    }
    if (!PUBLIC_PAGES.has(path) && !(await signedIn(c))) {
      const next = `${path}${new URL(c.req.url).search}`;
      const target = path === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
      return c.redirect(target, 302);
    }
    return send(c, await readFile(shell), shell, 'no-store');
  });
}
