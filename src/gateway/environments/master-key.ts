import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, type OpenViberHome } from '../../core/home.ts';

export const MASTER_KEY_ENV = 'OPENVIBER_MASTER_KEY';
const KEY_BYTES = 32;

/**
 * The key every environment secret is encrypted under (AES-256-GCM). A missing or unusable key
 * never stops the gateway: secrets just cannot be read or written, and every API says why.
 */
export type MasterKey =
  | { status: 'ok'; key: Buffer; keyId: string; source: 'env' | 'file' | 'generated'; path: string }
  | { status: 'missing' | 'invalid'; message: string; path: string };

export function masterKeyPath(home: OpenViberHome): string {
  return join(home.gateway, 'master-key');
}

/** `mk_` + 16 hex digits of the key's SHA-256: names the key in the store without revealing it. */
export function keyIdOf(key: Buffer): string {
  return `mk_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * The master key: OPENVIBER_MASTER_KEY (base64 of 32 bytes), else `gateway/master-key`, else a
 * new one written there (mode 0600) when no secret is stored yet. With secrets stored and no key,
 * a new key would only hide the loss, so none is made: the key is reported missing.
 */
export function loadMasterKey(home: OpenViberHome, env: NodeJS.ProcessEnv, storedSecrets: number): MasterKey {
  const path = masterKeyPath(home);
  const given = env[MASTER_KEY_ENV];
  if (given !== undefined && given.trim() !== '') return decodeKey(given, MASTER_KEY_ENV, 'env', path);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o077;
    const key = decodeKey(readFileSync(path, 'utf8'), path, 'file', path);
    if (key.status === 'ok' && mode !== 0) {
      return {
        status: 'invalid',
        path,
        message: `${path} is readable by other users (mode ${modeText(mode)}); chmod 600 it`,
      };
    }
    return key;
  }
  if (storedSecrets > 0) {
    return {
      status: 'missing',
      path,
      message: `the master key is missing: ${storedSecrets} secrets are stored encrypted but neither ${MASTER_KEY_ENV} nor ${path} holds the key they were encrypted with; restore it to read them`,
    };
  }
  ensureDir(home.gateway);
  const key = randomBytes(KEY_BYTES);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { status: 'ok', key, keyId: keyIdOf(key), source: 'generated', path };
}

function decodeKey(text: string, source: string, kind: 'env' | 'file', path: string): MasterKey {
  const trimmed = text.trim();
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    return {
      status: 'invalid',
      path,
      message: `${source} must hold a base64-encoded ${KEY_BYTES}-byte key (got ${bytes.length === 0 ? 'no valid base64' : `${bytes.length} bytes`}); generate one with: openssl rand -base64 32`,
    };
  }
  return { status: 'ok', key: bytes, keyId: keyIdOf(bytes), source: kind, path };
}

const modeText = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
