import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  let file: DeviceKeyFile;
  if (existsSync(path)) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as DeviceKeyFile;
      if (typeof file.privateKey !== 'string' || typeof file.publicKey !== 'string')
        throw new Error('fields missing');
    } catch (error) {
      throw new Error(
        `${path}: not a device key file (${(error as Error).message}); move it away to make a new key`,
      );
    }
  } else {
    const pair = generateKeyPairSync('ed25519');
    const jwk = pair.publicKey.export({ format: 'jwk' });
    file = {
      privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicKey: String(jwk.x),
    };
    ensureDir(dirname(path));
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
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
