/**
 * Keyset pages of the store's lists. Each list has one fixed order, and a page holds at most
 * `limit` rows strictly after the sort key `after` (from the start without it). `next` is the
 * sort key of the page's last row when more rows follow, and null on the last page; passed back
 * as `after`, it continues exactly where the page ended, whatever was inserted or changed
 * meanwhile: no row that was there is shown twice or skipped. A key is what the store said,
 * never a row count or an offset.
 */
export interface PageRequest<K> {
  /** At least 1. */
  limit: number;
  after?: K;
}

export interface Page<T, K> {
  items: T[];
  next: K | null;
}

/**
 * A page out of rows read with `limit + 1`: the extra row only says that more follow. `keyOf`
 * gives a row's sort key.
 */
export function pageOf<R, T, K>(
  rows: readonly R[],
  limit: number,
  toItem: (row: R) => T,
  keyOf: (row: R) => K,
): Page<T, K> {
  const shown = rows.slice(0, limit);
  return {
    items: shown.map(toItem),
    next: rows.length > limit && shown.length > 0 ? keyOf(shown[shown.length - 1]!) : null,
  };
}
