import { WebSocket, WebSocketServer } from 'ws';

/**
 * The baseline for the relay benchmark, in its own process like the gateway: a plain WebSocket
 * relay that forwards every frame from `?role=sender` sockets to the `?role=receiver` sockets,
 * with no parsing, storage or auth. Prints `listening on ws://127.0.0.1:<port>`.
 */

const receivers = new Set<WebSocket>();
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });

server.on('connection', (socket, request) => {
  const role = new URL(request.url ?? '/', 'ws://relay').searchParams.get('role');
  if (role === 'receiver') {
    receivers.add(socket);
    socket.on('close', () => receivers.delete(socket));
    return;
  }
  socket.on('message', (data, isBinary) => {
    for (const receiver of receivers) {
      if (receiver.readyState === WebSocket.OPEN) receiver.send(data, { binary: isBinary });
    }
  });
});

server.on('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`listening on ws://127.0.0.1:${port}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
