import type { DeviceRole, DeviceStatus, OperatorScope } from '../../protocol/index.ts';
import type { Page, PageRequest } from './store-page.ts';

/**
 * A device: a client identity (an Ed25519 key, `keyId` = hex SHA-256 of the raw public key), or a
 * credential carried over from the token era that has no key yet (`keyId` null).
 */
export interface DeviceRecord {
  /** Stable: the key id for a device that paired with a key, `operator-token` or `viber-<id>` otherwise. */
  id: string;
  keyId: string | null;
  /** The raw public key, base64url. */
  publicKey: string | null;
  name: string;
  role: DeviceRole;
  scopes: OperatorScope[];
  status: DeviceStatus;
  viberId: string | null;
  /** While pending: the short code both sides show. */
  pairingCode: string | null;
  source: string | null;
  createdAt: string;
  /** A pending request lapses at this time. */
  expiresAt: string | null;
  decidedAt: string | null;
  lastSeenAt: string | null;
  /** Approved or rotated, and the device has not yet collected its new token (it will, signed). */
  tokenPending: boolean;
}

export interface DeviceTokenRecord {
  hash: string;
  deviceId: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type DevicePatch = Partial<
  Pick<
    DeviceRecord,
    | 'keyId'
    | 'publicKey'
    | 'name'
    | 'scopes'
    | 'status'
    | 'viberId'
    | 'pairingCode'
    | 'expiresAt'
    | 'decidedAt'
    | 'lastSeenAt'
    | 'tokenPending'
  >
>;

/**
 * A device's place in `devicePage`'s order: its status's section (0 pending, 1 paired, 2 revoked),
 * its creation time, its id.
 */
export type DevicePageKey = readonly [section: number, createdAt: string, id: string];

export interface DeviceQuery extends PageRequest<DevicePageKey> {
  status?: DeviceStatus;
  role?: DeviceRole;
}

/** Devices and their tokens (only hashes). A device has at most one live token at a time. */
export interface DevicesStore {
  insertDevice(device: DeviceRecord): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | null>;
  findDeviceByKeyId(keyId: string): Promise<DeviceRecord | null>;
  /** Pending first (newest first), then paired, then revoked (oldest first); ties by id. */
  listDevices(): Promise<DeviceRecord[]>;
  /** A page of `listDevices`'s order. */
  devicePage(query: DeviceQuery): Promise<Page<DeviceRecord, DevicePageKey>>;
  /** The device after the patch, or null when it does not exist. */
  updateDevice(id: string, patch: DevicePatch): Promise<DeviceRecord | null>;
  /** Deletes a pending device (a rejected or lapsed request); false when there was none pending. */
  deletePendingDevice(id: string): Promise<boolean>;
  /** Deletes pending requests that lapsed at `now`; returns their ids. */
  purgeLapsedPairings(now: string): Promise<string[]>;
  /**
   * Issues a token: revokes the device's other tokens and clears `tokenPending`, in one commit.
   */
  issueDeviceToken(token: Pick<DeviceTokenRecord, 'hash' | 'deviceId' | 'createdAt'>): Promise<void>;
  /** The token with this hash (revoked ones too: a stale token is told apart from a guess), with its device. */
  findDeviceToken(hash: string): Promise<{ token: DeviceTokenRecord; device: DeviceRecord } | null>;
  /** The device's live token, if it has one. */
  liveDeviceToken(deviceId: string): Promise<DeviceTokenRecord | null>;
  touchDeviceToken(hash: string, at: string): Promise<void>;
  /** Revokes every token of the device and applies `patch` (status, tokenPending), in one commit. */
  revokeDeviceTokens(deviceId: string, at: string, patch: DevicePatch): Promise<DeviceRecord | null>;
}
