import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy on 127.0.0.1 that adds one header, `Authorization: Bearer <token>`, to
 * every request and changes nothing else: method, path, body and every other header (`Host` and
 * `Origin` included, so the gateway's Origin check sees what the client sent) go to `target` as
 * they came, and the answer streams back as it comes (SSE included).
 *
 * Why: the MCP conformance suite's CLI has no option to send a header, and the gateway's /mcp
 * takes no caller without a token. The proxy lives only as long as the run, on a free loopback
 * port, with the token of a gateway made for the run: nothing about the gateway's auth changes.
 */
export async function startBearerProxy(
  target: string,
  token: string,
): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.once('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`proxy: ${error.message}`);
    });
    // A client that hangs up (the suite cancels SSE streams) ends the forwarded request too.
    outgoing.once('close', () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}
