import { randomBytes } from 'node:crypto';
import { ID_PREFIXES, type IdKind } from '../protocol/index.ts';

/** A new prefixed id that sorts by creation time: `task_mwqdie8d-91e633bd77`. */
export function newId(kind: IdKind): string {
  // 8 base36 characters until the year 2059, so ids of one kind sort by creation time.
  const time = Date.now().toString(36);
  const random = randomBytes(8).toString('hex').slice(0, 10);
  return `${ID_PREFIXES[kind]}_${time}-${random}`;
}

/**
 * A secret token: 32 random bytes, base64url, with a recognisable prefix for secret scanners:
 * `ovo` the operator token, `ovv` a viber token of the token era, `ovd` a device token, `ovc` a
 * one-time code.
 */
export function newToken(prefix: 'ovo' | 'ovv' | 'ovd' | 'ovc'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
