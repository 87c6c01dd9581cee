import WebSocket from 'ws';
import { type GatewayMessage, PROTOCOL_VERSION, type ViberInfo } from '../../src/protocol/index.ts';
import { waitFor } from './wait.ts';

/**
 * A raw WebSocket "daemon" that speaks the protocol by hand: for bad-input tests (it can send any
 * bytes) and for the benchmark's simulated vibers.
 */

export interface RawViberOptions {
  wsUrl: string;
  viberId: string;
  token: string;
  /** Headers to send instead of the right ones (spoofing tests). */
  headers?: Record<string, string>;
  /** Largest frame the client accepts (the gateway may echo big errors). */
  maxPayload?: number;
}

export interface RawViber {
  ws: WebSocket;
  /** Every message received, parsed; a frame that is not JSON is kept as `{ raw }`. */
  readonly messages: Array<GatewayMessage | { raw: string }>;
  /** Settles with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves when open; rejects with the HTTP status when the upgrade is refused. */
  readonly opened: Promise<void>;
  /** The HTTP status and body of a refused upgrade. */
  readonly refused: { status: number; body: string } | undefined;
  send(data: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Waits for a received message matching `predicate`, returning it. */
  waitForMessage<T extends GatewayMessage>(
    predicate: (message: GatewayMessage) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

export function viberInfo(viberId: string, name = 'raw-viber'): ViberInfo {
  return {
    id: viberId,
    name,
    version: '0.1.0',
    platform: process.platform,
    capabilities: [],
    runningTasks: [],
  };
}

export function connectRawViber(options: RawViberOptions): RawViber {
  const ws = new WebSocket(options.wsUrl, {
    headers: options.headers ?? {
      authorization: `Bearer ${options.token}`,
      'x-viber-id': options.viberId,
      'x-viber-version': String(PROTOCOL_VERSION),
    },
    maxPayload: options.maxPayload ?? 16 * 1024 * 1024,
  });
  const messages: RawViber['messages'] = [];
  let refused: RawViber['refused'];
  ws.on('message', (data) => {
    const text = data.toString();
    try {
      messages.push(JSON.parse(text) as GatewayMessage);
    } catch {
      messages.push({ raw: text });
    }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => {
        body += part;
      });
      response.on('end', () => {
        refused = { status: response.statusCode ?? 0, body };
        reject(new Error(`upgrade refused: ${response.statusCode} ${body}`));
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  const isMessage = (message: RawViber['messages'][number]): message is GatewayMessage => !('raw' in message);
  return {
    ws,
    messages,
    closed,
    opened,
    get refused() {
      return refused;
    },
    send(data) {
      ws.send(JSON.stringify(data));
    },
    sendRaw(data) {
      ws.send(data);
    },
    waitForMessage<T extends GatewayMessage>(
      predicate: (message: GatewayMessage) => boolean,
      timeoutMs = 15_000,
    ) {
      return waitFor(() => messages.filter(isMessage).find(predicate) as T | undefined, {
        timeoutMs,
        intervalMs: 10,
        description: `a gateway message matching ${predicate.toString().slice(0, 120)}`,
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close(1000, 'done');
      await closed;
    },
  };
}
