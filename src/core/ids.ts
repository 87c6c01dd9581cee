import { randomBytes } from 'node:crypto';
import { ID_PREFIXES, type IdKind } from '../protocol/index.ts';

/** A new prefixed id that sorts by creation time: `task_m3k9x2a0b1c2-4f8a1e0c9d`. */
export function newId(kind: IdKind): string {
  const time = Date.now().toString(36).padStart(12, '0');
  const random = randomBytes(8).toString('hex').slice(0, 10);
  return `${ID_PREFIXES[kind]}_${time}-${random}`;
}

/** A secret token: 32 random bytes, base64url, with a recognisable prefix for secret scanners. */
export function newToken(prefix: 'ovo' | 'ovv'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
