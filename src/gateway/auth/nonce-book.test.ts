import { describe, expect, it } from 'vitest';
import { NonceBook } from './nonce-book.ts';

describe('the nonce book', () => {
  it('takes a nonce once, tells a replay from a stranger, and forgets lapsed ones', () => {
    let now = 0;
    const book = new NonceBook(1_000, () => now);
    const nonce = book.issue();
    expect(book.use(nonce, 'another')).toBe('unknown');
    expect(book.use(nonce, nonce)).toBe('ok');
    expect(book.use(nonce, nonce)).toBe('replayed');
    expect(book.use('never-issued-nonce-xx')).toBe('unknown');
    const late = book.issue();
    now = 2_000;
    expect(book.use(late)).toBe('unknown');
    const dropped = book.issue();
    book.drop(dropped);
    expect(book.use(dropped)).toBe('unknown');
  });
});
