import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type { MasterKey } from './master-key.ts';

const FORMAT = 'v1';
const IV_BYTES = 12;

export type DecryptResult = { ok: true; value: string } | { ok: false; reason: string };

/**
 * AES-256-GCM for environment secrets. The associated data binds each ciphertext to its
 * environment and variable name, so a value copied to another row does not decrypt.
 */
export class SecretBox {
  readonly #master: MasterKey;

  constructor(master: MasterKey) {
    this.#master = master;
  }

  get keyId(): string | null {
    return this.#master.status === 'ok' ? this.#master.keyId : null;
  }

  /** Why secrets cannot be used, or null when they can. */
  get problem(): string | null {
    return this.#master.status === 'ok' ? null : this.#master.message;
  }

  encrypt(environmentId: string, name: string, value: string): { encryptedValue: string; kmsKeyId: string } {
    if (this.#master.status !== 'ok') {
      throw new OpenViberError('conflict', `cannot store secret ${name}: ${this.#master.message}`, 409);
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#master.key, iv);
    cipher.setAAD(associatedData(environmentId, name));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const parts = [FORMAT, iv, cipher.getAuthTag(), ciphertext].map((part) =>
      typeof part === 'string' ? part : part.toString('base64'),
    );
    return { encryptedValue: parts.join('.'), kmsKeyId: this.#master.keyId };
  }

  decrypt(environmentId: string, name: string, encryptedValue: string, kmsKeyId: string): DecryptResult {
    if (this.#master.status !== 'ok') return { ok: false, reason: this.#master.message };
    if (kmsKeyId !== this.#master.keyId) {
      return {
        ok: false,
        reason: `secret ${name} was encrypted with master key ${kmsKeyId}, but the gateway has ${this.#master.keyId}`,
      };
    }
    const [format, iv, tag, ciphertext] = encryptedValue.split('.');
    if (format !== FORMAT || !iv || !tag || ciphertext === undefined) {
      return { ok: false, reason: `secret ${name} is stored in an unknown format` };
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#master.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(associatedData(environmentId, name));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const value = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]);
      return { ok: true, value: value.toString('utf8') };
    } catch {
      return { ok: false, reason: `secret ${name} does not decrypt with the gateway's master key` };
    }
  }
}

const associatedData = (environmentId: string, name: string) =>
  Buffer.from(`${environmentId}\n${name}`, 'utf8');
