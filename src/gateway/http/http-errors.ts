import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ErrorBody, ErrorCode } from '../../protocol/index.ts';

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

export function errorResponse(c: Context, code: ErrorCode, message: string, status: number): Response {
  return c.json(errorBody(code, message), status as ContentfulStatusCode);
}

/** Maps errors to `{error:{code,message}}`: an OpenViberError keeps its code and status; anything
 * else is a bug, logged with its stack and answered with a bare 500 (never the stack). */
export function errorHandler(log: Logger): ErrorHandler {
  return function handleError(error, c) {
    if (OpenViberError.isInstance(error)) {
      // 503 is a dependency down (PostgreSQL, Redis), said once where it is noticed: no stack here.
      if (error.status === 503) log.warn({ path: c.req.path }, error.message);
      else if (error.status >= 500) log.error({ err: error, path: c.req.path }, error.message);
      return errorResponse(c, error.code, error.message, error.status);
    }
    if (isDiskFull(error)) {
      log.error({ err: error, method: c.req.method, path: c.req.path }, 'disk full');
      return c.json(
        {
          error: {
            code: 'internal',
            message: "the gateway's disk is full: nothing was changed; free space under its home and retry",
            retryable: true,
          },
        } satisfies ErrorBody,
        507,
      );
    }
    log.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return errorResponse(c, 'internal', 'internal error', 500);
  };
}

/** SQLite's SQLITE_FULL (13, "database or disk is full") or a file write's ENOSPC, however wrapped. */
export function isDiskFull(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { errcode, code, message } = current as { errcode?: unknown; code?: unknown; message?: unknown };
    if (errcode === 13 || code === 'ENOSPC' || code === 'SQLITE_FULL') return true;
    if (typeof message === 'string' && /database or disk is full|ENOSPC/.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, 'not_found', `no route ${c.req.method} ${c.req.path}`, 404);
