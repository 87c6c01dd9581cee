import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter in the upper half', () => {
    const lowest = new Backoff({ baseMs: 100, maxMs: 1_000 }, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => lowest.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const highest = new Backoff({ baseMs: 100, maxMs: 1_000 }, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => highest.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('starts from the base again after a reset', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 1_000 }, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('uses the protocol defaults and never overflows', () => {
    const backoff = new Backoff({}, () => 1);
    expect(backoff.next()).toBe(500);
    for (let attempt = 0; attempt < 2_000; attempt += 1) backoff.next();
    expect(backoff.next()).toBe(30_000);
  });
});
