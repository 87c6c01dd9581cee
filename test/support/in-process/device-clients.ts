import WebSocket from 'ws';
import {
  answerChallenge,
  type ConnectAsk,
  type ConnectOperatorSocketOptions,
  connectOperatorSocket,
  type DeviceIdentity,
  generateDeviceKeys,
  identityFromKeyPair,
  type OperatorConnection,
} from '../../../src/client/index.ts';
import type {
  ConnectChallenge,
  ConnectRequestInput,
  OperatorResponse,
  OperatorScope,
} from '../../../src/protocol/index.ts';
import type { TestGateway } from './test-gateway.ts';

// What the gateway's tests use of the client (they reach it through test support only).
export {
  answerChallenge,
  type ConnectAsk,
  connectOperatorSocket,
  type DeviceIdentity,
  type EventGap,
  GatewayClientError,
  HandshakeRefusedError,
} from '../../../src/client/index.ts';

/**
 * Devices for the control plane's tests: keys, raw sockets that say exactly what a test writes
 * (forged, replayed, oversized), and operator devices paired over /api/ws with chosen scopes.
 */

export function newIdentity(): Promise<DeviceIdentity> {
  return generateDeviceKeys().then((keys) => identityFromKeyPair(keys));
}

/** `ws://host:port` of a gateway's `http://host:port` (a string is taken as that already). */
export function wsBase(gateway: TestGateway | string): string {
  return typeof gateway === 'string' ? gateway : gateway.gateway.url.replace(/^http/, 'ws');
}

/** The `ws` package's socket, as connectOperatorSocket opens it (it can pause reading). */
export const openWsSocket: NonNullable<ConnectOperatorSocketOptions['openSocket']> = (url, headers) =>
  new WebSocket(url, { headers });

// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON frames.
type Frame = any;

/** A WebSocket whose JSON frames a test reads one by one, with what it closed with. */
export class RawSocket {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #frames: Frame[] = [];
  readonly #waiters: ((frame: Frame) => void)[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_, response) =>
        reject(new Error(`upgrade answered ${response.statusCode}`)),
      );
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        frame = { unparsable: data.toString() };
      }
      const waiter = this.#waiters.shift();
      if (waiter) waiter(frame);
      else this.#frames.push(frame);
    });
  }

  /** The next frame, or a rejection after `timeoutMs` (or when the socket closes first). */
  next(timeoutMs = 10_000): Promise<Frame> {
    const queued = this.#frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(take), 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (frame: Frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.#waiters.push(take);
      this.closed.then(({ code, reason }) => {
        if (!this.#waiters.includes(take)) return;
        this.#waiters.splice(this.#waiters.indexOf(take), 1);
        clearTimeout(timer);
        reject(new Error(`closed (${code} ${reason}) before a frame`));
      });
    });
  }

  /** The next frame of this type, skipping others. */
  async nextOfType(type: string, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (frame?.type === type) return frame;
    }
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000);
    return this.closed;
  }
}

/** The challenge on a fresh socket to `path` and the signed `connect` answering it (not sent yet). */
export async function challenged(
  gateway: TestGateway | string,
  path: string,
  identity: DeviceIdentity,
  ask: ConnectAsk,
  options: { headers?: Record<string, string>; signedAt?: number } = {},
): Promise<{ socket: RawSocket; challenge: ConnectChallenge; connect: ConnectRequestInput }> {
  const socket = new RawSocket(`${wsBase(gateway)}${path}`, options.headers);
  const challenge = (await socket.next()) as ConnectChallenge;
  if (challenge.type !== 'connect.challenge')
    throw new Error(`expected a challenge: ${JSON.stringify(challenge)}`);
  const connect = await answerChallenge(identity, challenge, ask, options.signedAt);
  return { socket, challenge, connect };
}

/** Connects and returns the gateway's answer to the signed `connect` (connect.ok/pairing/refused). */
export async function rawConnect(
  gateway: TestGateway | string,
  path: string,
  identity: DeviceIdentity,
  ask: ConnectAsk,
  options: { headers?: Record<string, string> } = {},
): Promise<{ socket: RawSocket; answer: Frame }> {
  const { socket, connect } = await challenged(gateway, path, identity, ask, options);
  socket.send(connect);
  return { socket, answer: await socket.next() };
}

/** A paired operator device: its key, its token, and its live operator socket. */
export interface PairedOperator {
  identity: DeviceIdentity;
  deviceId: string;
  token: string;
  scopes: OperatorScope[];
  /** The one-time code it was paired with (used up). */
  pairingCode: string;
  connection: OperatorConnection;
}

/**
 * A new operator device holding exactly `scopes`: a pairing code minted with the operator token,
 * then the device's key paired with it over /api/ws, collecting its token from connect.ok.
 */
export async function pairOperator(
  gateway: TestGateway,
  scopes: OperatorScope[],
  options: Partial<ConnectOperatorSocketOptions> = {},
): Promise<PairedOperator> {
  const minted = await gateway.client.call('pairingCodes.create', { body: { role: 'operator', scopes } });
  const identity = await newIdentity();
  const connection = await connectOperatorSocket(gateway.gateway.url, {
    identity,
    pairingCode: minted.code,
    name: `test ${scopes.join(',')}`,
    openSocket: openWsSocket,
    ...options,
  });
  const token = connection.ok.deviceToken;
  if (!token) throw new Error('a device paired by code collects its token in connect.ok');
  const { deviceId, scopes: granted } = connection.ok;
  return { identity, deviceId, token, scopes: granted, pairingCode: minted.code, connection };
}

/** Sends a `req` frame exactly as written and resolves with the `res` carrying its id. */
export function rawCall(
  connection: OperatorConnection,
  frame: Record<string, unknown>,
): Promise<OperatorResponse> {
  const socket = connection.socket as unknown as WebSocket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`no res for ${String(frame.id)}`));
    }, 20_000);
    const onMessage = (data: WebSocket.RawData) => {
      const value = JSON.parse(data.toString()) as OperatorResponse | { type: string };
      if (value.type !== 'res' || (value as OperatorResponse).id !== frame.id) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(value as OperatorResponse);
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ type: 'req', ...frame }));
  });
}
