import { describe, expect, it } from 'vitest';
import { deviceKey, FailureLimiter, sourceKey } from './failure-limiter.ts';

describe('the failed-auth limiter', () => {
  it('limits each key alone, in a sliding window, and a success clears it', () => {
    let now = 0;
    const limiter = new FailureLimiter({ max: 3, windowMs: 1_000, now: () => now });
    for (let i = 0; i < 3; i++) limiter.fail(deviceKey('stale'));
    expect(limiter.retryAfter(deviceKey('stale'))).toBe(1_000);
    // Another device, and the address they share, are untouched.
    expect(limiter.retryAfter(deviceKey('good'))).toBe(0);
    expect(limiter.retryAfter(sourceKey('127.0.0.1'))).toBe(0);
    now = 600;
    expect(limiter.retryAfter(deviceKey('stale'))).toBe(400);
    now = 1_001;
    expect(limiter.retryAfter(deviceKey('stale'))).toBe(0);
    for (let i = 0; i < 3; i++) limiter.fail(sourceKey('10.0.0.9'));
    limiter.succeed(sourceKey('10.0.0.9'));
    expect(limiter.retryAfter(sourceKey('10.0.0.9'))).toBe(0);
  });
});
