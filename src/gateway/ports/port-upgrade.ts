import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../core/logger.ts';
import { PORT_PROXY_PREFIX, type PortHeaderList } from '../../protocol/index.ts';
import type { GatewayStore } from '../store/index.ts';
import { checkPortAccess, parsePortTarget } from './port-access.ts';
import type { PortExchange } from './port-exchange.ts';
import { failureStatus } from './port-failures.ts';
import { requestHeadersForService, responseHeadersForBrowser } from './port-headers.ts';
import type { PortLinks } from './port-links.ts';
import { type PortRelay, PortRelayError } from './port-relay.ts';

export interface PortUpgradeDeps {
  relay: PortRelay;
  links: PortLinks;
  store: Pick<GatewayStore, 'getDevice' | 'getViber'>;
  timeoutMs: number;
  log: Logger;
}

/**
 * WebSocket upgrades on a port link (docs/ports.md, "WebSocket"): after the same checks as HTTP,
 * the upgrade goes to the service as it came (minus the gateway's headers), and once the service
 * answers 101 the gateway relays raw bytes both ways. It never parses WebSocket frames, so
 * subprotocols, extensions and binary messages are the service's and the browser's business.
 */
export class PortUpgrades {
  readonly #deps: PortUpgradeDeps;

  constructor(deps: PortUpgradeDeps) {
    this.#deps = deps;
  }

  matches(request: IncomingMessage): boolean {
    return (request.url ?? '').startsWith(`${PORT_PROXY_PREFIX}/`);
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    void this.#upgrade(request, socket, head).catch((error: Error) => {
      this.#deps.log.error({ err: error }, 'port upgrade failed');
      refuse(socket, 502, 'internal', 'the upgrade could not be relayed');
    });
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = parsePortTarget(request.url ?? '');
    if (!target) return refuse(socket, 404, 'not_found', 'a port link is /ports/<viber>/<port>/<token>/');
    const access = await checkPortAccess(this.#deps.links, this.#deps.store, target);
    if (!access.ok) return refuse(socket, access.status, access.code, access.message);
    if (socket.destroyed) return;
    const headers: PortHeaderList = [];
    for (let at = 0; at + 1 < request.rawHeaders.length; at += 2)
      headers.push([request.rawHeaders[at]!, request.rawHeaders[at + 1]!]);
    let answered = false;
    let tunnel = false;
    let exchange: PortExchange;
    try {
      exchange = this.#deps.relay.open(
        target.viberId,
        {
          port: access.port,
          method: (request.method ?? 'GET').toUpperCase(),
          path: target.servicePath ?? '/',
          headers: requestHeadersForService(headers, access.port, true),
          upgrade: true,
        },
        this.#deps.timeoutMs,
        {
          response: (status, responseHeaders) => {
            answered = true;
            clearTimeout(timer);
            tunnel = status === 101;
            const kept = responseHeadersForBrowser(responseHeaders, target.cookiePath, tunnel);
            // A refusal (not 101) is passed on as a whole answer; the connection closes after it.
            if (!tunnel) kept.push(['Connection', 'close']);
            socket.write(headLines(status, kept));
            if (tunnel) this.#relayClient(socket, exchange, head);
          },
          data: (bytes) => {
            socket.write(bytes, () => exchange.credit(bytes.length));
          },
          done: () => socket.end(),
          failed: (failure, message) => {
            clearTimeout(timer);
            if (!answered) refuse(socket, failureStatus(failure), 'internal', message);
            else socket.destroy();
          },
        },
      );
    } catch (error) {
      if (error instanceof PortRelayError)
        return refuse(socket, error.status, 'viber_offline', error.message);
      throw error;
    }
    const timer = setTimeout(() => {
      if (answered) return;
      exchange.cancel();
      refuse(
        socket,
        504,
        'internal',
        `port ${access.port} on viber ${target.viberId} did not answer the upgrade in time`,
      );
    }, this.#deps.timeoutMs + 2_000);
    socket.on('close', () => {
      clearTimeout(timer);
      exchange.cancel();
    });
  }

  /** The client's bytes to the service, pausing the client while the viber's window is full. */
  #relayClient(socket: Duplex, exchange: PortExchange, head: Buffer): void {
    const forward = (chunk: Buffer) => {
      socket.pause();
      void exchange.send(chunk).then(() => socket.resume());
    };
    if (head.length > 0) forward(head);
    socket.on('data', forward);
    socket.on('end', () => exchange.end());
  }
}

function headLines(status: number, headers: PortHeaderList): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  for (const [name, value] of headers) {
    // A value with a line break would split the head: such a header is not passed on.
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) continue;
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
