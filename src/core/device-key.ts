import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir } from './home.ts';

/** A device key kept in a file (mode 0600): the daemon's and the CLI's identity. */
export interface StoredDeviceKey {
  id: string;
  publicKey: string;
  sign(text: string): Promise<string>;
}

interface DeviceKeyFile {
  /** Ed25519 private key, PKCS#8 PEM. */
  privateKey: string;
  publicKey: string;
}

/**
 * The device key at `path`, made (Ed25519, written 0600) the first time. The file holds the
 * private key: it lives under the OpenViber home, which the agent's commands cannot read.
 */
export function loadOrCreateDeviceKey(path: string): StoredDeviceKey {
  if (!existsSync(path)) createKeyFile(path);
  let file: DeviceKeyFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as DeviceKeyFile;
    if (typeof file.privateKey !== 'string' || typeof file.publicKey !== 'string')
      throw new Error('fields missing');
  } catch (error) {
    throw new Error(
      `${path}: not a device key file (${(error as Error).message}); move it away to make a new key`,
    );
  }
  const privateKey = createPrivateKey(file.privateKey);
  return {
    id: createHash('sha256').update(Buffer.from(file.publicKey, 'base64url')).digest('hex'),
    publicKey: file.publicKey,
    async sign(text) {
      return sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64url');
    },
  };
}

/**
 * Writes a new key file whole, then links it into place: two processes starting at once (a daemon
 * and a CLI on one home) never read half a file, and the first link wins for both.
 */
function createKeyFile(path: string): void {
  const pair = generateKeyPairSync('ed25519');
  const file: DeviceKeyFile = {
    privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: String(pair.publicKey.export({ format: 'jwk' }).x),
  };
  ensureDir(dirname(path));
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}
