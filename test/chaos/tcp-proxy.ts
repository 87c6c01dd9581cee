import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between a daemon and its gateway, for the chaos suite. Its mode can be
 * changed at any time:
 * - `pass`: forwards both ways;
 * - `delay`: forwards each piece after `delayMs` (order kept);
 * - `blackhole`: reads and discards both ways without closing anything (a dead link that looks alive).
 * `drop()` closes every connection at once; `cutMidFrame()` forwards only the first half of the
 * next piece the daemon sends on its WebSocket, then closes it (a frame cut in the middle).
 */

export type ProxyMode = 'pass' | 'delay' | 'blackhole';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** The daemon's WebSocket (its first bytes asked for `/ws`), as opposed to a REST call. */
  webSocket?: boolean;
  /** Bytes the daemon sent on it so far. */
  fromDaemon: number;
}

export class TcpProxy {
  mode: ProxyMode = 'pass';
  delayMs = 0;
  /** Connections accepted, drops and cuts made: figures for the table. */
  accepted = 0;
  drops = 0;
  cuts = 0;
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #cutNext = false;
  #port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => this.#accept(client, targetPort));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.#port = (proxy.#server.address() as AddressInfo).port;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  /** Closes every open connection (a reset, as a broken link or a NAT timeout would). */
  drop(): void {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.drops++;
  }

  /** The next piece from the daemon is forwarded half, then the connection is closed. */
  cutMidFrame(): void {
    this.#cutNext = true;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, targetPort: number): void {
    this.accepted++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair: Pair = { client, upstream, fromDaemon: 0 };
    this.#pairs.add(pair);
    // In a blackhole a close on one side is not passed on either: the other side sees nothing.
    const end = (closed: Socket) => {
      this.#pairs.delete(pair);
      closed.destroy();
      if (this.mode === 'blackhole') return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', () => end(client)).on('close', () => end(client));
    upstream.on('error', () => end(upstream)).on('close', () => end(upstream));
    this.#forward(pair, client, upstream, true);
    this.#forward(pair, upstream, client, false);
  }

  #forward(pair: Pair, from: Socket, to: Socket, fromDaemon: boolean): void {
    let chain = Promise.resolve();
    let pending = 0;
    from.on('data', (data: Buffer) => {
      if (this.mode === 'blackhole') return;
      if (fromDaemon && pair.fromDaemon === 0) pair.webSocket = data.toString('latin1').startsWith('GET /ws');
      const afterUpgrade = fromDaemon && pair.fromDaemon > 0;
      if (fromDaemon) pair.fromDaemon += data.length;
      // Only the WebSocket is cut, after its upgrade: in the middle of a frame.
      if (afterUpgrade && pair.webSocket && this.#cutNext && data.length > 1) {
        this.#cutNext = false;
        this.cuts++;
        to.write(data.subarray(0, Math.floor(data.length / 2)), () => {
          from.destroy();
          to.destroy();
        });
        return;
      }
      // Delayed pieces keep their order: once one waits, every later piece queues behind it.
      if ((this.mode === 'delay' && this.delayMs > 0) || pending > 0) {
        const delay = this.mode === 'delay' ? this.delayMs : 0;
        pending++;
        chain = chain.then(
          () =>
            new Promise<void>((resolve) =>
              setTimeout(() => {
                pending--;
                if (!to.destroyed) to.write(data);
                resolve();
              }, delay),
            ),
        );
        return;
      }
      to.write(data);
    });
  }
}
