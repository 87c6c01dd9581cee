import {
  type ConnectChallenge,
  type ConnectRequestInput,
  connectSignedPayload,
  type DeviceProof,
  type DeviceRole,
  type OperatorScope,
  PROTOCOL_VERSION,
} from '../protocol/index.ts';

/**
 * A device's key, as the client needs it: its id and public key, and a way to sign. The daemon
 * and the CLI keep an Ed25519 key under the OpenViber home (src/core/device-key.ts); the board
 * keeps a non-extractable WebCrypto key in IndexedDB. Either way the private key never leaves.
 */
export interface DeviceIdentity {
  /** Hex SHA-256 of the raw public key. */
  readonly id: string;
  /** The raw 32-byte public key, base64url. */
  readonly publicKey: string;
  /** An Ed25519 signature of the UTF-8 text, base64url. */
  sign(text: string): Promise<string>;
}

/** What the client asks for in the handshake, besides the proof. */
export interface ConnectAsk {
  role: DeviceRole;
  scopes?: OperatorScope[];
  token?: string;
  pairingCode?: string;
  name?: string;
  viberId?: string;
  extensions?: string[];
  client?: { name?: string; version?: string };
}

/** A signed proof of the key over this nonce (what `connect` and the board's sign-in carry). */
export async function proveDevice(
  identity: DeviceIdentity,
  fields: { role: DeviceRole; scopes: readonly string[]; nonce: string },
  now: number = Date.now(),
): Promise<DeviceProof> {
  const payload = connectSignedPayload({ deviceId: identity.id, ...fields, signedAt: now });
  return {
    id: identity.id,
    publicKey: identity.publicKey,
    signature: await identity.sign(payload),
    signedAt: now,
  };
}

/** The `connect` frame answering a challenge: the ask, signed with the device key. */
export async function answerChallenge(
  identity: DeviceIdentity,
  challenge: ConnectChallenge,
  ask: ConnectAsk,
  now: number = Date.now(),
): Promise<ConnectRequestInput> {
  const scopes = ask.scopes ?? [];
  const device = await proveDevice(identity, { role: ask.role, scopes, nonce: challenge.nonce }, now);
  return {
    type: 'connect',
    role: ask.role,
    scopes,
    minProtocol: PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    device,
    nonce: challenge.nonce,
    ...(ask.token ? { token: ask.token } : {}),
    ...(ask.pairingCode ? { pairingCode: ask.pairingCode } : {}),
    ...(ask.name ? { name: ask.name } : {}),
    ...(ask.viberId ? { viberId: ask.viberId } : {}),
    extensions: ask.extensions ?? [],
    ...(ask.client ? { client: ask.client } : {}),
  };
}

const toBase64Url = (bytes: Uint8Array): string => {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** A DeviceIdentity on a WebCrypto Ed25519 key pair (browsers, and Node's globalThis.crypto). */
export async function identityFromKeyPair(keys: CryptoKeyPair): Promise<DeviceIdentity> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  const id = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return {
    id,
    publicKey: toBase64Url(raw),
    async sign(text) {
      const signature = await crypto.subtle.sign('Ed25519', keys.privateKey, new TextEncoder().encode(text));
      return toBase64Url(new Uint8Array(signature));
    },
  };
}

/** A new Ed25519 key pair; a browser keeps it non-extractable (only the public half can be read). */
export function generateDeviceKeys(extractable = false): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'Ed25519' }, extractable, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>;
}
