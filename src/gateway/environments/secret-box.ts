import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type { MasterKey } from './master-key.ts';

const FORMAT = 'v1';
const IV_BYTES = 12;

export type DecryptResult = { ok: true; value: string } | { ok: false; reason: string };

/**
 * AES-256-GCM under the gateway's master key, for environment secrets and for stored responses
 * that hold a secret. The associated data binds each ciphertext to its row (environment and
 * variable name, or the context given), so a value copied to another row does not decrypt.
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
    return {
      encryptedValue: seal(this.#master.key, associatedData(environmentId, name), value),
      kmsKeyId: this.#master.keyId,
    };
  }

  decrypt(environmentId: string, name: string, encryptedValue: string, kmsKeyId: string): DecryptResult {
    if (this.#master.status !== 'ok') return { ok: false, reason: this.#master.message };
    if (kmsKeyId !== this.#master.keyId) {
      return {
        ok: false,
        reason: `secret ${name} was encrypted with master key ${kmsKeyId}, but the gateway has ${this.#master.keyId}`,
      };
    }
    const opened = open(this.#master.key, associatedData(environmentId, name), encryptedValue);
    if (opened.ok) return opened;
    return {
      ok: false,
      reason:
        opened.failure === 'format'
          ? `secret ${name} is stored in an unknown format`
          : `secret ${name} does not decrypt with the gateway's master key`,
    };
  }

  /**
   * Seals a value that is not an environment secret but must not be stored in the clear (a
   * replayable response holding a viber token), bound to `context` so it cannot be moved to
   * another row. The key id travels with it. Null when there is no usable key.
   */
  sealText(context: string, text: string): string | null {
    if (this.#master.status !== 'ok') return null;
    return `${this.#master.keyId}:${seal(this.#master.key, Buffer.from(context, 'utf8'), text)}`;
  }

  openText(context: string, sealed: string): DecryptResult {
    if (this.#master.status !== 'ok') return { ok: false, reason: this.#master.message };
    const [keyId, encryptedValue = ''] = sealed.split(':', 2);
    if (keyId !== this.#master.keyId) {
      return {
        ok: false,
        reason: `it was encrypted with master key ${keyId}, but the gateway has ${this.#master.keyId}`,
      };
    }
    const opened = open(this.#master.key, Buffer.from(context, 'utf8'), encryptedValue);
    return opened.ok ? opened : { ok: false, reason: "it does not decrypt with the gateway's master key" };
  }
}

function seal(key: Buffer, aad: Buffer, value: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return [FORMAT, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64')))
    .join('.');
}

type Opened = { ok: true; value: string } | { ok: false; failure: 'format' | 'key' };

/** The plaintext, or why not: an unknown format, or it does not decrypt (wrong key, tampered). */
function open(key: Buffer, aad: Buffer, encryptedValue: string): Opened {
  const [format, iv, tag, ciphertext] = encryptedValue.split('.');
  if (format !== FORMAT || !iv || !tag || ciphertext === undefined) return { ok: false, failure: 'format' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const value = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]);
    return { ok: true, value: value.toString('utf8') };
  } catch {
    return { ok: false, failure: 'key' };
  }
}

const associatedData = (environmentId: string, name: string) =>
  Buffer.from(`${environmentId}\n${name}`, 'utf8');
