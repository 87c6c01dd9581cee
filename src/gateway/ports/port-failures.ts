import type { PortFailure } from '../../protocol/index.ts';

/**
 * The HTTP status a client gets for each way an exchange fails (docs/ports.md, "Errors"): the
 * service is the upstream, so its faults are 502 and its slowness 504; a port that is not the
 * viber's is not found; a viber away or too busy is unavailable.
 */
export function failureStatus(failure: PortFailure | 'offline' | string): 404 | 502 | 503 | 504 {
  switch (failure) {
    case 'not_viber_port':
      return 404;
    case 'timeout':
      return 504;
    case 'offline':
    case 'busy':
      return 503;
    default:
      return 502;
  }
}

/** The answer to a sandboxed page's CORS preflight on a valid link (its origin is `null`). */
export function corsPreflightHeaders(requestedHeaders: string | undefined): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    ...(requestedHeaders ? { 'Access-Control-Allow-Headers': requestedHeaders.slice(0, 4096) } : {}),
    'Access-Control-Max-Age': '600',
  };
}
