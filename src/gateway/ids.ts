import { randomBytes } from 'node:crypto';

/**
 * Id of a gateway -> daemon command (`cmd_...`), the same sortable shape as core/ids.ts. It lives
 * here because ID_PREFIXES has no `command` kind yet.
 */
export function newCommandId(): string {
  const time = Date.now().toString(36).padStart(12, '0');
  return `cmd_${time}-${randomBytes(8).toString('hex').slice(0, 10)}`;
}
