import {
  type ConnectOk,
  type ConnectPairing,
  type ConnectRefusalCode,
  ConnectServerFrameSchema,
} from '../protocol/index.ts';
import { answerChallenge, type ConnectAsk, type DeviceIdentity } from './device-identity.ts';

/** The gateway refused the handshake; `code` says why (device.ts, ConnectRefusalCode). */
export class HandshakeRefusedError extends Error {
  readonly code: ConnectRefusalCode | 'closed' | 'timeout';
  readonly retryAfterMs: number | undefined;
  constructor(code: HandshakeRefusedError['code'], message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'HandshakeRefusedError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** What the handshake needs of a socket: the runtime's WebSocket and the `ws` package's both fit. */
export interface HandshakeSocket {
  send(text: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  removeEventListener(type: 'message' | 'close', listener: (event: never) => void): void;
}

export interface HandshakeOptions {
  identity: DeviceIdentity;
  ask: ConnectAsk;
  /** The device is new: an operator must approve it; show `pairing.code` to the user. */
  onPairing?: (pairing: ConnectPairing) => void;
  /** How long to wait for the challenge and for an answer (not for an operator); default 15 s. */
  timeoutMs?: number;
}

/** Whether a frame belongs to the handshake (other frames are the socket's own protocol). */
export function isHandshakeFrame(value: unknown): boolean {
  const type = (value as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('connect.');
}

/**
 * The client's side of the connect handshake on an open socket: answers `connect.challenge` with
 * the signed `connect`, waits through `connect.pairing` (calling `onPairing`), and resolves with
 * `connect.ok` (keep its `deviceToken` when there is one); rejects with HandshakeRefusedError.
 */
export function performHandshake(socket: HandshakeSocket, options: HandshakeOptions): Promise<ConnectOk> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeEventListener('message', onMessage as (event: never) => void);
      socket.removeEventListener('close', onClose as (event: never) => void);
    };
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = (event: { code: number; reason: string }) =>
      fail(
        new HandshakeRefusedError(
          'closed',
          `the gateway closed the socket (${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        ),
      );
    const onMessage = (event: { data: unknown }) => {
      let value: unknown;
      try {
        value = JSON.parse(typeof event.data === 'string' ? event.data : String(event.data));
      } catch {
        return;
      }
      if (!isHandshakeFrame(value)) return;
      const parsed = ConnectServerFrameSchema.safeParse(value);
      if (!parsed.success)
        return fail(
          new HandshakeRefusedError('bad_handshake', 'the gateway sent a malformed handshake frame'),
        );
      const frame = parsed.data;
      switch (frame.type) {
        case 'connect.challenge':
          answerChallenge(options.identity, frame, options.ask)
            .then((answer) => socket.send(JSON.stringify(answer)))
            .catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
          return;
        case 'connect.pairing':
          // An operator decides now: no timeout but the gateway's own (the request lapses).
          clearTimeout(timer);
          options.onPairing?.(frame);
          return;
        case 'connect.refused':
          return fail(new HandshakeRefusedError(frame.code, frame.message, frame.retryAfterMs));
        case 'connect.ok':
          cleanup();
          resolve(frame);
      }
    };
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    timer = setTimeout(
      () => fail(new HandshakeRefusedError('timeout', `no handshake answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
}
