import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UIMessageChunk } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnNode, stopAllProcesses } from './processes.ts';
import { TaskStreamReader } from './task-stream-reader.ts';
import { createGate, waitFor } from './wait.ts';

// The reader and the process helpers are test infrastructure the e2e suite trusts; check them
// against a tiny SSE server that numbers its events and honours Last-Event-ID.

const CHUNKS: UIMessageChunk[] = [
  { type: 'start', messageId: 'msg_1' },
  { type: 'start-step' },
  { type: 'text-start', id: 't1' },
  { type: 'text-delta', id: 't1', delta: 'Hello' },
  { type: 'text-delta', id: 't1', delta: ', ' },
  { type: 'text-delta', id: 't1', delta: 'world' },
  { type: 'text-end', id: 't1' },
  { type: 'finish-step' },
  { type: 'finish' },
];

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await stopAllProcesses();
});

/** Serves CHUNKS as `id: <seq>` events; pauses before seq `holdAt` until the gate opens. */
async function startSseServer(holdAt: number, gate: { wait(): Promise<void> }) {
  const seen: Array<string | undefined> = [];
  const http = createServer(async (req, res) => {
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    seen.push(lastEventId);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-vercel-ai-ui-message-stream': 'v1' });
    res.write(': comment lines are ignored\n\n');
    for (let seq = Number(lastEventId ?? 0) + 1; seq <= CHUNKS.length; seq++) {
      if (seq === holdAt) await gate.wait();
      if (res.destroyed) return;
      res.write(`id: ${seq}\ndata: ${JSON.stringify(CHUNKS[seq - 1])}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  });
  server = http;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen };
}

describe('task stream reader', () => {
  it('reassembles one message across a reconnect with Last-Event-ID, recording each id once', async () => {
    const gate = createGate();
    const { baseUrl, seen } = await startSseServer(5, gate);
    const reader = new TaskStreamReader({ baseUrl, token: 't', taskId: 'task_x' });
    await reader.connect();
    await waitFor(() => reader.events.length === 4 && reader.chunks.length === 4, {
      description: 'first 4 events',
    });
    expect((await reader.disconnect())?.outcome).toBe('aborted');
    gate.open();
    await reader.reconnect();
    const message = await reader.finished;

    expect(seen).toEqual([undefined, '4']);
    expect(reader.seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(reader.chunks).toEqual(CHUNKS);
    expect(reader.sawDone).toBe(true);
    expect(reader.parseErrors).toEqual([]);
    expect(message?.parts.filter((part) => part.type === 'text')).toEqual([
      { type: 'text', text: 'Hello, world', state: 'done' },
    ]);
    expect(reader.connections.map((c) => c.outcome)).toEqual(['aborted', 'ended']);
    expect(reader.connections[1]?.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
  });
});

describe('managed processes', () => {
  it('waits for numbered lines, reports an early exit with its output, and kills', async () => {
    const script =
      "console.log('ready 1'); console.log('ready 2'); console.error('boom'); setInterval(() => {}, 1000);";
    const child = spawnNode(['-e', script], { name: 'lines' });
    expect((await child.waitForLine(/ready (\d)/, { occurrence: 2 }))[1]).toBe('2');
    expect(await child.kill('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });

    const dying = spawnNode(['-e', "console.error('bad flag'); process.exit(3)"], { name: 'dying' });
    await expect(dying.waitForLine(/never/)).rejects.toThrow(/exited \(code 3\)[\s\S]*bad flag/);
  });
});
