import { createServer, type ServerResponse } from 'node:http';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { answerProbes } from './bench-child.ts';

/**
 * The bare baseline, in its own process like the gateway: WebSocket in, `res.write` out, nothing
 * stored, nothing checked. Frames from `/ws?role=sender` go as they are to every `GET /stream`
 * reader as one SSE event each; any other socket on `/ws` is a viber whose frames are parsed as
 * JSON and dropped (the floor for connection memory and per-heartbeat CPU).
 */

const readers = new Set<ServerResponse>();
const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

const server = createServer((req, res) => {
  if (req.url !== '/stream') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  readers.add(res);
  res.on('close', () => readers.delete(res));
});

// Listeners are module functions, not closures, so a socket keeps nothing of its upgrade request.
function relay(this: WebSocket, data: RawData): void {
  const event = `data: ${data.toString()}\n\n`;
  for (const reader of readers) reader.write(event);
}

function parseAndDrop(data: RawData): void {
  JSON.parse(data.toString());
}

server.on('upgrade', (req, socket, head) => {
  const sender = req.url?.includes('role=sender') ?? false;
  sockets.handleUpgrade(req, socket, head, (ws) => ws.on('message', sender ? relay : parseAndDrop));
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  answerProbes();
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
