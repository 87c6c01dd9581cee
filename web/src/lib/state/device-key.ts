import { type DeviceIdentity, generateDeviceKeys, identityFromKeyPair } from '#lib/client.ts';

/**
 * The board's device key: an Ed25519 key pair made by WebCrypto on first use, non-extractable (the
 * page can sign with it, never read it), and kept in IndexedDB, whose structured clone stores a
 * CryptoKey as is. The browser signs the sign-in challenge and every terminal socket's handshake
 * with it, so the gateway knows it as one paired device across sessions (src/client/device-identity.ts).
 *
 * A browser without Ed25519 in WebCrypto, or a page that is not a secure context (plain http on
 * a LAN address), has no key: it signs in as a keyless device, paired afresh on every sign-in.
 */

const DB_NAME = 'openviber-board';
const DB_VERSION = 1;
const STORE = 'device-key';
const RECORD = 'board';

export type DeviceKey =
  | { identity: DeviceIdentity; reason?: undefined }
  /** No key: `reason` says why, in a few words for a quiet note. */
  | { identity: null; reason: string };

let loading: Promise<DeviceKey> | undefined;

/** This browser's device key, made and stored on first use; the same promise for every caller. */
export function deviceKey(): Promise<DeviceKey> {
  loading ??= loadOrCreate().catch((error: unknown) => ({
    identity: null,
    reason: `the device key could not be loaded (${error instanceof Error ? error.message : String(error)})`,
  }));
  return loading;
}

/**
 * Forgets the stored key and makes a new one: this browser becomes a new device (after its old
 * one was revoked, say), to be paired by the next sign-in.
 */
export async function replaceDeviceKey(): Promise<DeviceKey> {
  loading = undefined;
  if (typeof indexedDB !== 'undefined') {
    const db = await openDb();
    try {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(RECORD));
    } finally {
      db.close();
    }
  }
  return deviceKey();
}

async function loadOrCreate(): Promise<DeviceKey> {
  if (!globalThis.isSecureContext || !globalThis.crypto?.subtle) {
    return { identity: null, reason: 'the page is not a secure context (open the board over https or on localhost)' };
  }
  if (typeof indexedDB === 'undefined') {
    return { identity: null, reason: 'this browser keeps no IndexedDB for the board' };
  }
  const db = await openDb();
  try {
    const stored = await readKeys(db);
    if (stored) return { identity: await identityFromKeyPair(stored) };
    let keys: CryptoKeyPair;
    try {
      keys = await generateDeviceKeys(false);
    } catch {
      return { identity: null, reason: 'this browser has no Ed25519 in WebCrypto' };
    }
    // Another tab may have stored its key meanwhile: `add` refuses to overwrite, and that key wins.
    try {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).add(keys, RECORD));
    } catch {
      const winner = await readKeys(db);
      if (winner) keys = winner;
    }
    return { identity: await identityFromKeyPair(keys) };
  } finally {
    db.close();
  }
}

function openDb(): Promise<IDBDatabase> {
  const opening = indexedDB.open(DB_NAME, DB_VERSION);
  opening.onupgradeneeded = () => {
    if (!opening.result.objectStoreNames.contains(STORE)) opening.result.createObjectStore(STORE);
  };
  return request(opening);
}

async function readKeys(db: IDBDatabase): Promise<CryptoKeyPair | undefined> {
  const value: unknown = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(RECORD));
  const keys = value as Partial<CryptoKeyPair> | undefined;
  return keys?.privateKey instanceof CryptoKey && keys.publicKey instanceof CryptoKey
    ? (keys as CryptoKeyPair)
    : undefined;
}

function request<T>(pending: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(pending.error ?? new Error('IndexedDB request failed'));
  });
}
