import { createRedactor, type Redactor } from '../../core/redaction.ts';
import type { FullEnvironment } from '../store/index.ts';
import type { SecretBox } from './secret-box.ts';

export interface OpenedSecrets {
  values: Record<string, string>;
  /** Keys that would not decrypt, with the reason of the first. */
  unreadable: string[];
  reason: string | null;
}

/** Decrypts an environment's secrets (in memory, for the config pull and redaction only). */
export function openSecrets(full: FullEnvironment, box: SecretBox): OpenedSecrets {
  const values: Record<string, string> = {};
  const unreadable: string[] = [];
  let reason: string | null = null;
  for (const secret of full.secrets) {
    const result = box.decrypt(full.environment.id, secret.key, secret.encryptedValue, secret.kmsKeyId);
    if (result.ok) values[secret.key] = result.value;
    else {
      unreadable.push(secret.key);
      reason ??= result.reason;
    }
  }
  return { values, unreadable, reason };
}

/**
 * Redactors per environment version: the gateway redacts daemon reports again (defence in depth;
 * the daemon already did) without decrypting every secret for every log line.
 */
export class RedactorCache {
  readonly #box: SecretBox;
  readonly #cache = new Map<string, { version: number; redactor: Redactor }>();

  constructor(box: SecretBox) {
    this.#box = box;
  }

  for(full: FullEnvironment): Redactor {
    const cached = this.#cache.get(full.environment.id);
    if (cached?.version === full.environment.version) return cached.redactor;
    const redactor = createRedactor(openSecrets(full, this.#box).values);
    this.#cache.set(full.environment.id, { version: full.environment.version, redactor });
    return redactor;
  }
}
