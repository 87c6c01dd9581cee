import type { Params } from './sqlite-database.ts';

/** A page request of a list ordered by name (ASCII case ignored), then id. */
export interface NameOrderQuery {
  limit: number;
  after?: readonly [name: string, id: string];
  nameContains?: string;
}

/**
 * The conditions and parameters of one page of a table ordered by `name COLLATE NOCASE, id`
 * (vibers, environments): rows after the cursor's key, and a name filter. Each caller adds its own
 * and runs one statement, so the page is a range on the table's name index.
 */
export function nameOrderPage(query: NameOrderQuery): { where: string[]; params: Params } {
  const where: string[] = [];
  const params: Params = { limit: query.limit + 1 };
  if (query.after) {
    where.push('(name, id) > (:afterName COLLATE NOCASE, :afterId)');
    params.afterName = query.after[0];
    params.afterId = query.after[1];
  }
  if (query.nameContains !== undefined) {
    where.push('instr(lower(name), lower(:nameContains)) > 0');
    params.nameContains = query.nameContains;
  }
  return { where, params };
}
