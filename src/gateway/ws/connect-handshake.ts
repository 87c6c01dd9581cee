import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import type { Logger } from '../../core/logger.ts';
import {
  type ConnectRefusalCode,
  ConnectRequestSchema,
  type ConnectServerFrame,
  type DeviceRole,
  describeZodError,
  MAX_PREAUTH_FRAME_BYTES,
  type ProtocolExtension,
  WS_CLOSE,
} from '../../protocol/index.ts';
import type { ConnectDecision, ConnectionSource, DeviceService } from '../auth/devices.ts';
import type { Principal } from '../auth/principal.ts';
import { truncateReason } from '../vibers/viber-connection.ts';

const PAIRING_PING_MS = 30_000;

export interface Connected {
  principal: Principal;
  protocolVersion: number;
  extensions: ProtocolExtension[];
}

/**
 * Where an upgrade came from. Loopback only for a direct connection: any forwarding header means
 * a proxy sits in between, and the real client may be anywhere.
 */
export function connectionSource(request: IncomingMessage): ConnectionSource {
  const address = request.socket.remoteAddress ?? 'unknown';
  const forwarded = ['forwarded', 'x-forwarded-for', 'x-real-ip'].some(
    (name) => request.headers[name] !== undefined,
  );
  const loopback =
    !forwarded && (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1');
  return { address, loopback };
}

/**
 * The gateway's side of the connect handshake on an accepted socket: challenge, one `connect`
 * frame (small, and within the device service's connectTimeoutMs), the device service's decision,
 * and the answer. A pending device's socket stays open until an operator decides (and stops
 * waiting if the socket goes first). Resolves with who connected, or undefined once the socket
 * was refused and closed (or closed by the client).
 */
export function runConnectHandshake(
  ws: WebSocket,
  options: {
    devices: DeviceService;
    role: DeviceRole;
    source: ConnectionSource;
    log: Logger;
    /** Who the upgrade's own credentials said (a board session cookie, a bearer token). */
    upgraded?: Principal;
  },
): Promise<Connected | undefined> {
  const { devices, log, source } = options;
  const nonce = devices.nonces.issue();
  const send = (frame: ConnectServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  return new Promise((resolve) => {
    let settled = false;
    let pinger: NodeJS.Timeout | undefined;
    /** While an operator decides: stop waiting should the socket go first. */
    let abandonPairing: (() => void) | undefined;
    const finish = (result: Connected | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(pinger);
      abandonPairing?.();
      ws.off('message', onFrame);
      ws.off('close', onClose);
      devices.nonces.drop(nonce);
      resolve(result);
    };
    const refuse = (code: ConnectRefusalCode, message: string, retryAfterMs?: number) => {
      log.warn({ code, source: source.address, role: options.role }, `handshake refused: ${message}`);
      devices.handshakeRefused(code);
      send({ type: 'connect.refused', code, message, ...(retryAfterMs ? { retryAfterMs } : {}) });
      ws.close(WS_CLOSE.unauthorized, truncateReason(`${code}: ${message}`));
      finish(undefined);
    };
    const timeoutMs = devices.connectTimeoutMs;
    const timer = setTimeout(
      () => refuse('handshake_timeout', `no connect frame within ${timeoutMs} ms`),
      timeoutMs,
    );
    timer.unref();
    const onClose = () => finish(undefined);
    const answer = async (decision: ConnectDecision): Promise<void> => {
      if (settled) return;
      if (decision.kind === 'refused') return refuse(decision.code, decision.message, decision.retryAfterMs);
      if (decision.kind === 'pairing') {
        clearTimeout(timer);
        send({
          type: 'connect.pairing',
          deviceId: decision.device.id,
          code: decision.device.pairingCode ?? '',
          expiresAt: decision.device.expiresAt ?? '',
        });
        pinger = setInterval(() => ws.ping(), PAIRING_PING_MS);
        pinger.unref();
        abandonPairing = decision.abandon;
        const decided = await decision.decided;
        abandonPairing = undefined;
        return answer(decided);
      }
      const { principal, protocolVersion, extensions } = decision;
      send({
        type: 'connect.ok',
        protocolVersion,
        extensions,
        deviceId: principal.deviceId,
        role: principal.role,
        scopes: [...principal.scopes],
        ...(principal.viberId ? { viberId: principal.viberId } : {}),
        ...(decision.deviceToken ? { deviceToken: decision.deviceToken } : {}),
      });
      finish({ principal, protocolVersion, extensions });
    };
    const onFrame = (data: RawData, isBinary: boolean) => {
      if (pinger) return; // waiting for an operator: the client has nothing more to say
      ws.off('message', onFrame);
      const text = frameText(data);
      if (isBinary) return refuse('bad_handshake', 'the connect frame must be JSON text');
      if (Buffer.byteLength(text) > MAX_PREAUTH_FRAME_BYTES) {
        return refuse(
          'payload_too_large',
          `a frame before the handshake is at most ${MAX_PREAUTH_FRAME_BYTES} bytes`,
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return refuse('bad_handshake', 'the connect frame is not JSON');
      }
      const parsed = ConnectRequestSchema.safeParse(json);
      if (!parsed.success) {
        const type = (json as { type?: unknown } | null)?.type;
        return refuse(
          'bad_handshake',
          type === 'connect'
            ? describeZodError(parsed.error)
            : `expected a connect frame answering connect.challenge, got ${JSON.stringify(type ?? null).slice(0, 50)}`,
        );
      }
      devices
        .connect(parsed.data, {
          nonce,
          source,
          role: options.role,
          ...(options.upgraded ? { upgraded: options.upgraded } : {}),
        })
        .then(answer)
        .catch((error: unknown) => {
          // The gateway's own failure (its store unreachable), not the client's: no refusal, which
          // a daemon takes as final, but "try again later" (1013), which it retries with backoff.
          log.error({ err: error }, 'handshake failed');
          ws.close(1013, 'the gateway could not decide this handshake now: try again');
          finish(undefined);
        });
    };
    ws.on('message', onFrame);
    ws.on('close', onClose);
    send({ type: 'connect.challenge', nonce, ts: Date.now() });
  });
}

function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as Buffer).toString('utf8');
}
