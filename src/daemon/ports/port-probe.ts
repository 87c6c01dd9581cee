import { request } from 'node:http';
import type { Socket } from 'node:net';
import { connectHost } from './proc-net.ts';

/** How long a probe waits for a connection, then for an HTTP answer. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Whether the service answers now: `answers` when it accepts a connection, and `httpStatus` when
 * it answers a `HEAD /` (a request that changes nothing) as HTTP. A service that is not HTTP, or
 * is slow, still `answers`.
 */
export function probePort(address: string, port: number): Promise<{ answers: boolean; httpStatus?: number }> {
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    let socket: Socket | undefined;
    const finish = (result: { answers: boolean; httpStatus?: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      // A service that ended its side keeps the connection half-open until this side closes too.
      socket?.destroy();
      resolve(result);
    };
    const req = request({
      host: connectHost(address),
      port,
      method: 'HEAD',
      path: '/',
      agent: false,
      headers: { 'user-agent': 'openviber-port-probe' },
    });
    const timer = setTimeout(() => finish({ answers: connected }), PROBE_TIMEOUT_MS);
    req.on('socket', (opened) => {
      socket = opened;
      opened.once('connect', () => (connected = true));
    });
    req.on('response', (response) => {
      response.resume();
      finish({ answers: true, httpStatus: response.statusCode ?? 0 });
    });
    req.on('error', () => finish({ answers: connected }));
    req.end();
  });
}
