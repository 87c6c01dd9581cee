import { OpenViberError } from '../../../core/errors.ts';

/** Where a transaction was when it failed: what a lost connection means depends on it. */
export type TransactionStage = 'connect' | 'begin' | 'work' | 'commit' | 'read';

// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: the backend was
// terminated, the server shut down or is starting), and the socket errors of a dead connection.
const LOST_STATES = /^(08...|57P0[1-4])$/;
const LOST_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const LOST_MESSAGE = /Connection terminated|Client has encountered a connection error|not queryable/;

/** Whether the error says the connection to PostgreSQL is gone (or never came), not that a statement failed. */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (LOST_STATES.test(code) || LOST_SOCKET.has(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isConnectionLoss);
  return LOST_MESSAGE.test(error.message);
}

/** A deadlock PostgreSQL broke, or a serialization failure: the transaction may simply run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * The error a store method rejects with when its connection died: what happened, and whether
 * anything may have been written. Only a connection lost during the COMMIT leaves the outcome
 * unknown; before it, PostgreSQL rolled the transaction back with the backend.
 */
export function connectionLost(error: unknown, stage: TransactionStage): OpenViberError {
  const reason = error instanceof Error ? error.message : String(error);
  const outcome =
    stage === 'commit'
      ? 'the transaction may or may not have been committed'
      : stage === 'read'
        ? 'nothing was read'
        : 'nothing was written';
  const what = stage === 'connect' ? 'could not connect to PostgreSQL' : 'lost its connection to PostgreSQL';
  const result = new OpenViberError(
    'internal',
    `the gateway's store ${what} (${reason}): ${outcome}; retry`,
    503,
  );
  result.cause = error;
  return result;
}

/**
 * The error a store method rejects with for a statement PostgreSQL refused. Its text cannot hold
 * U+0000, which SQLite stores: a value with one is refused as bad input, like any other, rather
 * than as an internal error. Everything else is passed on as it came.
 */
export function statementFailed(error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if ((code === '22021' || code === '22P05') && typeof message === 'string' && /0x00|\\u0000/.test(message)) {
    const refused = new OpenViberError(
      'bad_request',
      'a text contains the NUL character (U+0000), which PostgreSQL cannot store',
      400,
    );
    refused.cause = error;
    return refused;
  }
  return error;
}

/** The unique violation of one constraint (a name taken by a concurrent transaction). */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const { code, constraint: violated } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23505' && violated === constraint;
}
