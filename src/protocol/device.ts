import { z } from 'zod';
import { OperatorScopeSchema } from './operator-scopes.ts';

/**
 * Device identity and the connect handshake (architecture document, section 7). Every client
 * (daemon, CLI, board browser, automation) holds an Ed25519 key pair; its device id is the hex
 * SHA-256 of the raw 32-byte public key. On every WebSocket the gateway speaks first with a
 * `connect.challenge`; the client answers `connect` with its role, scopes, protocol range, token
 * and a signature over `connectSignedPayload(...)`; the gateway answers `connect.ok`,
 * `connect.pairing` (an operator must approve this new device) or `connect.refused` (then closes).
 */

export const DeviceRoleSchema = z.enum(['operator', 'node']);
export type DeviceRole = z.infer<typeof DeviceRoleSchema>;

/** Hex SHA-256 of the raw public key. */
export const DeviceIdSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the public key');
/** The raw 32-byte Ed25519 public key, base64url without padding. */
export const PublicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key');
/** A 64-byte Ed25519 signature, base64url without padding. */
export const SignatureSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature');
export const NonceSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be base64url, 16-128 characters');

/** Proof that the client holds the device key: a signature over the connect payload. */
export const DeviceProofSchema = z.object({
  id: DeviceIdSchema,
  publicKey: PublicKeySchema,
  signature: SignatureSchema,
  /** Epoch milliseconds when the client signed; more than CONNECT_MAX_SKEW_MS off is refused. */
  signedAt: z.number().int().nonnegative(),
});
export type DeviceProof = z.infer<typeof DeviceProofSchema>;

/** Clock skew beyond which a signature is refused, either way. */
export const CONNECT_MAX_SKEW_MS = 2 * 60_000;
/** A client that has not finished the handshake by then is closed. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Frames before the handshake is done are at most this size. */
export const MAX_PREAUTH_FRAME_BYTES = 16 * 1024;
/** How long a pairing request waits for an operator. */
export const PAIRING_TTL_MS = 5 * 60_000;

/** The version tag of the signed payload; a new layout gets a new tag, never a changed meaning. */
export const CONNECT_PAYLOAD_VERSION = 'openviber-connect-v1';

/**
 * What the device signs: one line per field, so no field can run into the next. It binds the
 * device, the role, the scopes it asks for (sorted), the gateway's nonce and the signing time.
 */
export function connectSignedPayload(fields: {
  deviceId: string;
  role: DeviceRole;
  scopes: readonly string[];
  nonce: string;
  signedAt: number;
}): string {
  return [
    CONNECT_PAYLOAD_VERSION,
    fields.deviceId,
    fields.role,
    [...fields.scopes].sort().join(','),
    fields.nonce,
    String(fields.signedAt),
  ].join('\n');
}

/**
 * Protocol extensions a daemon may offer beyond the protocol document's frames: `seq` (numbered
 * task events the gateway acknowledges with `task:ack`), `command-ack` (commands carry a
 * `commandId` that the daemon acknowledges, so the gateway redelivers until it does) and
 * `terminal-binary` (pane output travels as binary frames, terminal.ts `encodePaneOutputFrame`).
 */
export const ProtocolExtensionSchema = z.enum(['seq', 'command-ack', 'terminal-binary']);
export type ProtocolExtension = z.infer<typeof ProtocolExtensionSchema>;

/** Gateway -> client, first frame on every socket. */
export const ConnectChallengeSchema = z.object({
  type: z.literal('connect.challenge'),
  nonce: NonceSchema,
  /** The gateway's clock, epoch milliseconds: a client may sign with it to avoid skew. */
  ts: z.number().int(),
});
export type ConnectChallenge = z.infer<typeof ConnectChallengeSchema>;

/** Client -> gateway: who it is and what it asks for. */
export const ConnectRequestSchema = z.object({
  type: z.literal('connect'),
  role: DeviceRoleSchema,
  /** Operator scopes requested; a node asks for none. The grant is the intersection with the device's. */
  scopes: z.array(OperatorScopeSchema).max(32).default([]),
  minProtocol: z.number().int().min(1),
  maxProtocol: z.number().int().min(1),
  device: DeviceProofSchema,
  /** The challenge's nonce, signed in the payload: each is good once, on the socket it was sent on. */
  nonce: NonceSchema,
  /** The device token; absent for a device that is asking to be paired. */
  token: z.string().min(1).max(500).optional(),
  /** A one-time onboarding code minted on the board (`viber login --code`): pairs on the spot. */
  pairingCode: z.string().min(1).max(200).optional(),
  /** A name for the operator to recognise the device by while pairing. */
  name: z.string().trim().min(1).max(200).optional(),
  /** A node: the viber id it runs as (from its credentials). */
  viberId: z.string().min(1).max(200).optional(),
  extensions: z.array(z.string().max(50)).max(20).default([]),
  client: z
    .object({ name: z.string().max(100), version: z.string().max(100) })
    .partial()
    .optional(),
});
export type ConnectRequest = z.infer<typeof ConnectRequestSchema>;
export type ConnectRequestInput = z.input<typeof ConnectRequestSchema>;

/** Gateway -> client: the handshake succeeded. */
export const ConnectOkSchema = z.object({
  type: z.literal('connect.ok'),
  protocolVersion: z.number().int(),
  extensions: z.array(ProtocolExtensionSchema),
  deviceId: z.string(),
  role: DeviceRoleSchema,
  scopes: z.array(OperatorScopeSchema),
  /** A node: the viber it runs as. */
  viberId: z.string().optional(),
  /** A newly issued device token (first connect after approval, or after rotation): keep it. */
  deviceToken: z.string().optional(),
});
export type ConnectOk = z.infer<typeof ConnectOkSchema>;

/** Gateway -> client: the device is unknown; an operator must approve it. The socket stays open. */
export const ConnectPairingSchema = z.object({
  type: z.literal('connect.pairing'),
  deviceId: z.string(),
  /** Short code shown on both sides so the operator approves the right device. */
  code: z.string(),
  expiresAt: z.string(),
});
export type ConnectPairing = z.infer<typeof ConnectPairingSchema>;

/** Why a handshake was refused: each has its own code, and none changes anything. */
export const ConnectRefusalCodeSchema = z.enum([
  'bad_handshake',
  'handshake_timeout',
  'protocol_mismatch',
  'unknown_device',
  'bad_signature',
  'replayed_nonce',
  'clock_skew',
  'unauthorized',
  'revoked',
  'scope_denied',
  'pairing_rejected',
  'pairing_expired',
  'pairing_code_invalid',
  'rate_limited',
  'payload_too_large',
]);
export type ConnectRefusalCode = z.infer<typeof ConnectRefusalCodeSchema>;

/** Gateway -> client: refused; the socket closes right after with WS_CLOSE.unauthorized. */
export const ConnectRefusedSchema = z.object({
  type: z.literal('connect.refused'),
  code: ConnectRefusalCodeSchema,
  message: z.string(),
  /** For rate_limited: when to try again. */
  retryAfterMs: z.number().int().optional(),
});
export type ConnectRefused = z.infer<typeof ConnectRefusedSchema>;

export const ConnectServerFrameSchema = z.discriminatedUnion('type', [
  ConnectChallengeSchema,
  ConnectOkSchema,
  ConnectPairingSchema,
  ConnectRefusedSchema,
]);
export type ConnectServerFrame = z.infer<typeof ConnectServerFrameSchema>;
