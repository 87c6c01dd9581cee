import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ChannelAdapter,
  ChannelContext,
  ReceiveResult,
} from '../../../src/gateway/channels/channel-adapter.ts';

/**
 * One channel adapter's `receive` behind a real HTTP server on 127.0.0.1, as the gateway's webhook
 * route hands it requests (the exact raw body, the headers): the adapter tests post to it with the
 * fixture platforms' own signing, and read what `receive` returned.
 */
export interface AdapterReceiver {
  url: string;
  readonly results: ReceiveResult[];
  close(): Promise<void>;
}

export async function startAdapterReceiver(
  adapter: ChannelAdapter,
  context: () => ChannelContext,
): Promise<AdapterReceiver> {
  const results: ReceiveResult[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      adapter
        .receive(context(), { headers: toHeaders(incoming.headers), rawBody })
        .then((result) => {
          results.push(result);
          response
            .writeHead(result.response.status, { 'content-type': 'application/json' })
            .end(JSON.stringify(result.response.body));
        })
        .catch((error: unknown) => response.destroy(error as Error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/channels/test/webhook`,
    results,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') result.set(name, value);
    else if (Array.isArray(value)) for (const item of value) result.append(name, item);
  }
  return result;
}
