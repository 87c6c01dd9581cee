import { describe, expect, it } from 'vitest';
import { RecentIds } from './command-dedupe.ts';

describe('RecentIds', () => {
  it('reports duplicates and forgets the oldest id past its capacity', () => {
    const ids = new RecentIds(3);
    expect(['a', 'b', 'a', 'c'].map((id) => ids.add(id))).toEqual([true, true, false, true]);
    ids.add('d');
    expect(ids.size).toBe(3);
    expect(ids.has('a')).toBe(false);
    expect(['b', 'c', 'd'].every((id) => ids.has(id))).toBe(true);
  });
});
