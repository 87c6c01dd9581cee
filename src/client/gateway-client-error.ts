import type { ErrorCode, TerminalErrorCode } from '../protocol/index.ts';

/**
 * Codes the client adds to the gateway's own: `bad_response`, an answer that does not match the
 * route table (wrong status, not JSON, wrong shape); `unreachable`, no answer at all (network
 * down, gateway restarting, a proxy's 502-504, a stream that went silent or broke off).
 */
export type ClientErrorCode = 'bad_response' | 'unreachable';
/** The gateway's REST codes, the terminal socket's (`tmux_missing`, ...) and the client's own. */
export type GatewayClientErrorCode = ErrorCode | TerminalErrorCode | ClientErrorCode;

export interface GatewayClientErrorOptions {
  /** The HTTP status; 0 when there was no HTTP answer. */
  status?: number;
  /** Worth trying again later; by default true for `unreachable`, 5xx and `rate_limited`. */
  retryable?: boolean;
  /** The route name (`tasks.get`) the call was for. */
  route?: string;
  cause?: unknown;
}

/**
 * Every failure of a gateway call: the gateway's `{error:{code,message}}` as it sent it, or what
 * the client found wrong with the answer. One class, so callers branch on `code`.
 */
export class GatewayClientError extends Error {
  readonly code: GatewayClientErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly route: string | undefined;

  constructor(code: GatewayClientErrorCode, message: string, options: GatewayClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayClientError';
    this.code = code;
    this.status = options.status ?? 0;
    this.route = options.route;
    this.retryable =
      options.retryable ?? (code === 'unreachable' || code === 'rate_limited' || this.status >= 500);
  }

  /** Works across bundles and realms, where `instanceof` may not. */
  static isInstance(error: unknown): error is GatewayClientError {
    return error instanceof Error && error.name === 'GatewayClientError' && 'code' in error;
  }
}

/** Whatever a fetch or a read threw, as a retryable `unreachable` (an abort is passed through). */
export function unreachable(route: string, error: unknown, what: string): GatewayClientError {
  if (GatewayClientError.isInstance(error)) return error;
  const reason = error instanceof Error ? describeCause(error) : String(error);
  return new GatewayClientError('unreachable', `${what}: ${reason}`, { route, cause: error });
}

/** fetch's TypeError says only "fetch failed"; the reason (ECONNREFUSED, ...) is in its cause. */
function describeCause(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  return error.message;
}
