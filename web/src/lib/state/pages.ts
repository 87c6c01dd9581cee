/**
 * The gateway's lists answer a page at a time (`limit`, `cursor`, and `nextCursor` in the answer,
 * null on the last page). The board shows the first page and a "Load more" button; a refresh (a
 * reconnection, a change event) reads again as many rows as were shown, so loading more is never
 * undone by the next event.
 */

/** Rows as the board shows them, and the cursor of the page after them (null: all are shown). */
export interface Pages<T> {
  rows: T[];
  nextCursor: string | null;
}

export const PAGE_SIZE = 50;

/** The page after `cursor` (the first without one), with its rows taken out of the answer. */
export type ReadPage<T> = (cursor: string | undefined) => Promise<Pages<T>>;

/** Pages from the start until at least `atLeast` rows are read, or the list ends. */
export async function readPagesUpTo<T>(read: ReadPage<T>, atLeast: number): Promise<Pages<T>> {
  const rows: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await read(cursor);
    rows.push(...page.rows);
    if (page.nextCursor === null || rows.length >= atLeast) return { rows, nextCursor: page.nextCursor };
    cursor = page.nextCursor;
  }
}

/**
 * The gateway's order of a list by name (vibers, environments): the name ignoring ASCII case,
 * then the id, as SQLite's NOCASE compares.
 */
export function byName(a: { name: string; id: string }, b: { name: string; id: string }): number {
  const fold = (name: string) => name.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  const [x, y] = [fold(a.name), fold(b.name)];
  if (x !== y) return x < y ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Rows of `more` not already in `rows` (by id) appended: a row moved between pages shows once. */
export function appendNew<T extends { id: string }>(rows: readonly T[], more: readonly T[]): T[] {
  const known = new Set(rows.map((row) => row.id));
  return [...rows, ...more.filter((row) => !known.has(row.id))];
}
