import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { TerminalServerMessage } from '../../protocol/index.ts';
import { TerminalClient } from './terminal-client.ts';

type ListResult = Extract<TerminalServerMessage, { type: 'terminal:list-result' }>;

describe('TerminalClient requests', () => {
  let server: WebSocketServer | undefined;
  afterEach(() => {
    for (const socket of server?.clients ?? []) socket.terminate();
    server?.close();
  });

  it("takes an answer only from the viber it asked, even when the gateway sends another's first", async () => {
    // A gateway that mixes vibers up: it answers a list for viber_b first with viber_a's sessions.
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (socket) => {
      socket.send(JSON.stringify({ type: 'terminal:ready', access: 'write', maxInputChars: 16_384 }));
      socket.on('message', (data) => {
        const { requestId } = JSON.parse(data.toString()) as { requestId: string };
        const answer = (viberId: string, name: string) =>
          socket.send(
            JSON.stringify({
              type: 'terminal:list-result',
              requestId,
              viberId,
              sessions: [{ name, windows: [] }],
            }),
          );
        answer('viber_a', 'not-mine');
        answer('viber_b', 'mine');
      });
    });
    await new Promise((resolve) => server!.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const client = await TerminalClient.connect({ gatewayUrl: `http://127.0.0.1:${port}`, token: 't' });
    try {
      const answer = await client.request<ListResult>({ type: 'terminal:list', viberId: 'viber_b' }, 5_000);
      expect(answer).toMatchObject({ viberId: 'viber_b', sessions: [{ name: 'mine' }] });
    } finally {
      await client.close();
    }
  });
});
