/** Attempts of one delivery before it fails for good (about 40 minutes of trying, with the caps). */
export const MAX_DELIVERY_ATTEMPTS = 10;
/** After this many failed attempts in a row the channel shows the error (board, CLI). */
export const TELL_OPERATOR_AFTER = 3;
const BASE_MS = 1_000;
const CAP_MS = 10 * 60_000;

/**
 * When to try a delivery again after `attempts` failures: exponential from 1 s, capped at
 * 10 minutes, with ±20 % jitter so gateways do not hammer a platform that came back in step;
 * never sooner than the platform asked (`retryAfterMs`).
 */
export function nextAttemptDelay(
  attempts: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempts - 1));
  const jittered = exponential * (0.8 + 0.4 * random());
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}
