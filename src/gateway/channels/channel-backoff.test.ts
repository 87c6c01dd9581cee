import { describe, expect, it } from 'vitest';
import { MAX_DELIVERY_ATTEMPTS, nextAttemptDelay, TELL_OPERATOR_AFTER } from './channel-backoff.ts';

describe('delivery backoff', () => {
  it('doubles from 1 s with ±20 % jitter, capped at 10 minutes', () => {
    expect(nextAttemptDelay(1, undefined, () => 0.5)).toBe(1_000);
    expect(nextAttemptDelay(2, undefined, () => 0.5)).toBe(2_000);
    expect(nextAttemptDelay(4, undefined, () => 0)).toBe(6_400);
    expect(nextAttemptDelay(4, undefined, () => 1)).toBe(9_600);
    expect(nextAttemptDelay(30, undefined, () => 0.5)).toBe(600_000);
  });

  it('never retries sooner than the platform asked, and gives up after 10 attempts, telling the operator after 3', () => {
    expect(nextAttemptDelay(1, 7_000, () => 0.5)).toBe(7_000);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(10);
    expect(TELL_OPERATOR_AFTER).toBe(3);
  });
});
