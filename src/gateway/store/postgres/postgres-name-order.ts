/** A page request of a list ordered by name (ASCII case ignored), then id. */
export interface NameOrderQuery {
  limit: number;
  after?: readonly [name: string, id: string];
  nameContains?: string;
}

/**
 * The conditions and values of one page of a table ordered by `openviber_fold(name), id` (vibers,
 * environments): rows after the cursor's key, and a name filter. SQLite's NOCASE folds ASCII
 * letters only, and so does `openviber_fold` (migration 1), whatever the database's locale; each
 * caller adds its own conditions and runs one statement, a range on the table's name index.
 */
export function nameOrderPage(query: NameOrderQuery): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [query.limit + 1];
  if (query.after) {
    values.push(query.after[0], query.after[1]);
    where.push(
      `(openviber_fold(name), id) > (openviber_fold($${values.length - 1}::text), $${values.length}::text)`,
    );
  }
  if (query.nameContains !== undefined) {
    values.push(query.nameContains);
    where.push(`strpos(openviber_fold(name), openviber_fold($${values.length}::text)) > 0`);
  }
  return { where, values };
}

/** The order of those lists. */
export const NAME_ORDER = 'openviber_fold(name), id';
