/**
 * The list routes answer one page at a time (`?limit=&cursor=`, and `nextCursor` in the answer,
 * null on the last page). This follows the cursors: every row of a list, page after page.
 *
 *   const tasks = await readAllPages(
 *     (cursor) => client.call('tasks.list', { query: { status: 'running', limit: 500, cursor } }),
 *     (page) => page.tasks,
 *   );
 */
export async function readAllPages<P extends { nextCursor: string | null }, T>(
  readPage: (cursor: string | undefined) => Promise<P>,
  rowsOf: (page: P) => readonly T[],
  from?: string,
): Promise<T[]> {
  const rows: T[] = [];
  let cursor = from;
  for (;;) {
    const page = await readPage(cursor);
    rows.push(...rowsOf(page));
    if (page.nextCursor === null) return rows;
    // A cursor that does not move on would never end: the gateway never answers one.
    if (page.nextCursor === cursor) throw new Error(`the list answered its own cursor again (${cursor})`);
    cursor = page.nextCursor;
  }
}
