import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
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

/** Types worth compressing (text); images and fonts are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt', '.webmanifest']);
/** Smaller files go as they are: compressing a few hundred bytes gains nothing. */
const MIN_COMPRESS_BYTES = 1024;
/** A compressed body is used only when it is at most this share of the file. */
const MAX_COMPRESSED_RATIO = 0.9;

/** Hashed build output: a name's content never changes, so browsers keep it for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (the page, the icon): kept, but asked again each time (a 304 when unchanged). */
const REVALIDATE = 'no-cache';

type Encoding = 'br' | 'gzip';
/** Precompressed variants (web/scripts/compress.ts writes them at build time), best first. */
const VARIANTS: ReadonlyArray<{ encoding: Encoding; suffix: string }> = [
  { encoding: 'br', suffix: '.br' },
  { encoding: 'gzip', suffix: '.gz' },
];

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

/**
 * The encodings an Accept-Encoding header accepts among br and gzip, the most wanted first (by
 * q-value; br before gzip when equal). `q=0` refuses one; `*` stands for any encoding not named.
 */
export function acceptedEncodings(header: string | undefined): Encoding[] {
  if (!header) return [];
  const quality = new Map<string, number>();
  for (const item of header.split(',')) {
    const [name = '', ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value);
    const value = q === undefined ? 1 : Number(q);
    if (name.trim()) quality.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const wildcard = quality.get('*') ?? 0;
  return VARIANTS.map(({ encoding }) => ({ encoding, q: quality.get(encoding) ?? wildcard }))
    .filter(({ q }) => q > 0)
    .sort((a, b) => b.q - a.q)
    .map(({ encoding }) => encoding);
}

/** True when an If-None-Match header names `etag` (weak comparison, as for GET). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** A file's body in one encoding: read from its precompressed variant, or compressed here. */
interface Encoded {
  encoding: Encoding;
  /** What the ETag tells apart: the variant's size and time, or the compressed length. */
  tag: string;
  body: () => Promise<Uint8Array>;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Files compressed here because their precompressed variant was missing (a build that skipped
 * web/scripts/compress.ts): once per file, encoding and version, within a bound.
 */
class CompressedCache {
  readonly #entries = new Map<string, Uint8Array | null>();
  readonly maxBytes = 32 * 1024 * 1024;
  #bytes = 0;

  async get(file: string, info: Stats, encoding: Encoding): Promise<Uint8Array | null> {
    const key = `${encoding} ${info.size} ${info.mtimeMs} ${file}`;
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const data = await readFile(file);
    const compressed =
      encoding === 'br'
        ? await brotli(data, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
          })
        : await gzipAsync(data, { level: 6 });
    const worth = compressed.length <= data.length * MAX_COMPRESSED_RATIO ? new Uint8Array(compressed) : null;
    const size = CompressedCache.cost(worth);
    if (size <= this.maxBytes) {
      for (const [oldest, body] of this.#entries) {
        if (this.#bytes + size <= this.maxBytes) break;
        this.#entries.delete(oldest);
        this.#bytes -= CompressedCache.cost(body);
      }
      this.#entries.set(key, worth);
      this.#bytes += size;
    }
    return worth;
  }

  /** An entry's share of the bound: its body, and a little for the entry itself. */
  static cost(body: Uint8Array | null): number {
    return 256 + (body?.length ?? 0);
  }
}

async function statFile(path: string): Promise<Stats | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The best encoding of `file` the client accepts, or undefined to send it as it is. */
async function encodedBody(
  file: string,
  info: Stats,
  accepted: Encoding[],
  cache: CompressedCache,
): Promise<Encoded | undefined> {
  for (const encoding of accepted) {
    const variant = `${file}${VARIANTS.find((known) => known.encoding === encoding)!.suffix}`;
    const variantInfo = await statFile(variant);
    // A variant older than its file is left over from another build: never served.
    if (variantInfo && variantInfo.mtimeMs >= info.mtimeMs) {
      return {
        encoding,
        tag: `${variantInfo.size.toString(36)}.${Math.floor(variantInfo.mtimeMs).toString(36)}`,
        body: () => readFile(variant),
      };
    }
  }
  const encoding = accepted[0];
  if (!encoding) return undefined;
  const compressed = await cache.get(file, info, encoding);
  return compressed
    ? { encoding, tag: `${compressed.length.toString(36)}`, body: async () => compressed }
    : undefined;
}

/**
 * Sends a file of the board: compressed when the client accepts it and it is worth it (Vary:
 * Accept-Encoding on every compressible type), with an ETag per encoding and a 304 when the
 * client's copy is current.
 */
async function send(
  c: Context,
  file: string,
  info: Stats,
  cacheControl: string,
  cache: CompressedCache,
): Promise<Response> {
  const compressible = COMPRESSIBLE.has(extname(file));
  const encoded =
    compressible && info.size >= MIN_COMPRESS_BYTES
      ? await encodedBody(file, info, acceptedEncodings(c.req.header('accept-encoding')), cache)
      : undefined;
  const base = `${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}`;
  const etag = `"${encoded ? `${base}-${encoded.encoding}-${encoded.tag}` : base}"`;
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Cache-Control': cacheControl, ETag: etag };
  if (compressible) headers.Vary = 'Accept-Encoding';
  if (matchesEtag(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  const body = encoded ? await encoded.body() : await readFile(file);
  headers['Content-Type'] = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  headers['Content-Length'] = String(body.length);
  if (encoded) headers['Content-Encoding'] = encoded.encoding;
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

/**
 * Serves the built board (a static single-page app) on the gateway's own port: assets as files,
 * every other path as the app shell (index.html), which the browser routes. Assets are public
 * (the app's code holds no data); pages need a session and otherwise redirect to the sign-in page.
 * Text goes compressed (brotli or gzip, precompressed at build time), hashed assets are cached
 * for a year, the rest is revalidated with its ETag.
 */
export function boardRoutes(options: { dir: string; auth: GatewayAuth }): Hono<GatewayEnv> {
  const { dir, auth } = options;
  const signedIn = async (c: Context) => (await authenticateRequest(auth, c)).ok;
  const cache = new CompressedCache();

  return new Hono<GatewayEnv>().get('*', async (c) => {
    const path = c.req.path;
    if (NOT_BOARD.test(path)) return c.notFound();
    const assetFile = path.endsWith('.html') ? undefined : resolveBoardFile(dir, path);
    const asset = assetFile ? await statFile(assetFile) : undefined;
    if (assetFile && asset) {
      return send(c, assetFile, asset, path.startsWith('/_app/immutable/') ? IMMUTABLE : REVALIDATE, cache);
    }
    const shell = join(dir, 'index.html');
    const shellInfo = await statFile(shell);
    if (!shellInfo) {
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
    return send(c, shell, shellInfo, REVALIDATE, cache);
  });
}
