import { createPublicKey, verify } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, useTempDirs } from '../../test/support/temp-dirs.ts';
import { loadOrCreateDeviceKey } from './device-key.ts';

describe('a device key file', () => {
  useTempDirs();

  it('is made once (0600), read back as the same key, and signs what its public key verifies', async () => {
    const path = join(makeTempDir('device-key'), 'daemon', 'device.json');
    const first = loadOrCreateDeviceKey(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
    const again = loadOrCreateDeviceKey(path);
    expect(again.id).toBe(first.id);
    const signature = await again.sign('hello');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: first.publicKey }, format: 'jwk' });
    expect(verify(null, Buffer.from('hello'), key, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('refuses a file that is not a key, saying what to do', () => {
    const path = join(makeTempDir('device-key'), 'device.json');
    writeFileSync(path, '{"half":');
    expect(() => loadOrCreateDeviceKey(path)).toThrow(
      /not a device key file .*move it away to make a new key/,
    );
  });
});
