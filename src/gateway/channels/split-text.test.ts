import { describe, expect, it } from 'vitest';
import { splitText } from './split-text.ts';

describe('splitText', () => {
  it('keeps a short text whole', () => {
    expect(splitText('hello', 10)).toEqual(['hello']);
    expect(splitText('', 10)).toEqual(['']);
  });

  it('cuts at paragraph breaks first, then lines, then spaces, then hard', () => {
    expect(splitText('aaaa\n\nbbbb\ncccc', 11)).toEqual(['aaaa', 'bbbb\ncccc']);
    expect(splitText('aaaa\nbbbb cccc', 10)).toEqual(['aaaa', 'bbbb cccc']);
    expect(splitText('aaaa bbbb cccc', 9)).toEqual(['aaaa bbbb', 'cccc']);
    expect(splitText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('makes every part fit and loses nothing but the breaks', () => {
    const paragraphs = Array.from({ length: 30 }, (_, index) => `paragraph ${index} `.repeat(40).trim());
    const text = paragraphs.join('\n\n');
    const parts = splitText(text, 4096);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(4096);
    expect(parts.join('\n\n')).toBe(text);
  });

  it('never cuts a surrogate pair', () => {
    const parts = splitText('a😀b', 2);
    expect(parts).toEqual(['a', '😀', 'b']);
  });
});
