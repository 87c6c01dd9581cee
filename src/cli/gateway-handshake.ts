import WebSocket from 'ws';
import {
  type ConnectAsk,
  type DeviceIdentity,
  HandshakeRefusedError,
  type HandshakeSocket,
  performHandshake,
} from '../client/index.ts';
import { isUntrustedIssuer } from '../core/tls-errors.ts';
import { type ConnectOk, type ConnectPairing, errorBodyMessage } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';

/** The gateway's addresses derived from any one of them (`http(s)://host:port` or `ws(s)://host:port/ws`). */
export interface GatewayUrls {
  /** The REST API and the board, `http(s)://host:port` (with any path prefix, no trailing slash). */
  http: string;
  /** The daemon socket, `ws(s)://host:port/ws`. */
  daemonSocket: string;
  /** The operator socket, `ws(s)://host:port/api/ws`. */
  operatorSocket: string;
}

/**
 * The gateway's URLs from what the user typed: http(s):// or ws(s)://, with or without the socket
 * path (`/ws`, `/api/ws`) at the end. Anything else is a usage error naming `option`.
 */
export function gatewayUrls(input: string, option = '--server'): GatewayUrls {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new CliError(
      `${option} "${input}" is not a URL; expected http(s)://host:port or ws(s)://host:port/ws`,
      2,
    );
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!secure && url.protocol !== 'http:' && url.protocol !== 'ws:') {
    throw new CliError(`${option} "${input}" must start with http://, https://, ws:// or wss://`, 2);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new CliError(
      `${option} "${input}": give the gateway's address only (no query, fragment or credentials)`,
      2,
    );
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/(\/api)?\/ws$/, '');
  const http = `${secure ? 'https' : 'http'}://${url.host}${path}`;
  const ws = `${secure ? 'wss' : 'ws'}://${url.host}${path}`;
  return { http, daemonSocket: `${ws}/ws`, operatorSocket: `${ws}/api/ws` };
}

export interface HandshakeOnceOptions {
  /** The socket to open, `ws(s)://.../ws` or `.../api/ws`. */
  url: string;
  identity: DeviceIdentity;
  ask: ConnectAsk;
  /** The device is new: an operator must approve it. */
  onPairing?: (pairing: ConnectPairing) => void;
  /** Bounds the connection and each handshake step (never the wait for an operator); default 15 s. */
  timeoutMs?: number;
}

/**
 * Opens the socket, runs the connect handshake (waiting through `connect.pairing` for as long as
 * the gateway keeps the request open), and closes the socket again. Resolves with `connect.ok`;
 * rejects with HandshakeRefusedError for a refusal, or a CliError when the gateway cannot be
 * reached or answers the upgrade with plain HTTP (an older gateway, a wrong URL).
 */
export function handshakeOnce(options: HandshakeOnceOptions): Promise<ConnectOk> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = new WebSocket(options.url, { handshakeTimeout: timeoutMs, maxPayload: 1024 * 1024 });
    const finish = (error: Error | undefined, ok?: ConnectOk) => {
      if (settled) return;
      settled = true;
      const done = () => (error ? reject(error) : resolve(ok!));
      if (socket.readyState === WebSocket.CLOSED) return done();
      // Close cleanly (the gateway sees the device leave, not a dropped link), but never wait long.
      const timer = setTimeout(() => {
        socket.terminate();
        done();
      }, 1_000);
      socket.once('close', () => {
        clearTimeout(timer);
        done();
      });
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'done');
      else socket.terminate();
    };
    socket.on('error', (error: Error & { code?: unknown }) => {
      const code = typeof error.code === 'string' ? error.code : '';
      const hint = isUntrustedIssuer(code)
        ? ": the gateway's TLS certificate is signed by a CA this machine does not trust; give that CA with --ca FILE or OPENVIBER_CA_FILE"
        : '';
      finish(new CliError(`cannot reach the gateway at ${options.url}: ${error.message}${hint}`));
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        if (body.length < 2000) body += text;
      });
      const refused = () => {
        const status = response.statusCode ?? 0;
        const detail = errorBodyMessage(body);
        const why =
          status === 404
            ? `the gateway has no socket at ${new URL(options.url).pathname} (HTTP 404): is it older than this CLI, or the wrong URL?`
            : `the gateway refused the connection to ${options.url} (HTTP ${status}${detail ? `: ${detail}` : ''})`;
        finish(new CliError(why));
      };
      response.once('end', refused);
      response.once('error', refused);
    });
    socket.once('open', () => {
      performHandshake(socket as unknown as HandshakeSocket, {
        identity: options.identity,
        ask: options.ask,
        timeoutMs,
        ...(options.onPairing ? { onPairing: options.onPairing } : {}),
      }).then(
        (ok) => finish(undefined, ok),
        (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
      );
    });
  });
}

export { HandshakeRefusedError };

/** A refusal as one line: the gateway's message and its code. */
export function describeRefusal(error: HandshakeRefusedError): string {
  return `${error.message} (${error.code})`;
}
