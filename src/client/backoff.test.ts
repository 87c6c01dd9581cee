import { describe, expect, it } from 'vitest';
import { Backoff, sleep } from './backoff.ts';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter in the upper half', () => {
    const lowest = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => lowest.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const highest = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.999_999 });
    expect([1, 2, 3, 4, 5, 6].map(() => highest.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads delays over the upper half of each step', () => {
    const delays = Array.from({ length: 200 }, () => new Backoff({ baseMs: 1_000, maxMs: 8_000 }).next());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    expect(new Set(delays).size).toBeGreaterThan(20);
  });

  it('counts attempts and starts from the base again after a reset', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.999_999 });
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('uses the protocol defaults, never goes below 1 ms and never overflows', () => {
    const backoff = new Backoff({ random: () => 0.999_999 });
    expect(backoff.next()).toBe(500);
    for (let attempt = 0; attempt < 2_000; attempt += 1) backoff.next();
    expect(backoff.next()).toBe(30_000);
    expect(new Backoff({ baseMs: 0, maxMs: 0, random: () => 0.999_999 }).next()).toBe(1);
  });
});

describe('sleep', () => {
  it('waits, and rejects with the reason as soon as the signal aborts', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);

    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal);
    abort.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');

    await expect(sleep(10, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
