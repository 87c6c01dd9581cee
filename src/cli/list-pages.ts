import { styleText } from 'node:util';
import { readAllPages } from '../client/index.ts';
import { PAGE_LIMITS, PageCursorSchema, PageLimitSchema } from '../protocol/index.ts';
import { checkedOption } from './cli-error.ts';

/**
 * `--limit`, `--cursor` and `--all` of the list commands (`viber vibers list`, `task list`,
 * `env list`, `devices list`): one page by default, the page after a cursor, or every page.
 */
export interface PageFlags {
  limit?: string;
  cursor?: string;
  all?: boolean;
}

export function addPageOptions<C extends { option(flags: string, description: string): C }>(command: C): C {
  return command
    .option(
      '--limit <n>',
      `rows per page, 1 to ${PAGE_LIMITS.max} (default ${PAGE_LIMITS.default}; ${PAGE_LIMITS.max} with --all)`,
    )
    .option('--cursor <cursor>', 'start after this cursor (the one a page printed)')
    .option('--all', 'every page, following the cursors');
}

/** What one list command read: its rows, and the cursor of the page after them (null: no more). */
export interface ReadRows<T> {
  rows: T[];
  nextCursor: string | null;
}

/**
 * Reads what the flags ask for: `readPage` reads the page after a cursor with a page size,
 * `rowsOf` takes a page's rows.
 */
export async function readListPages<P extends { nextCursor: string | null }, T>(
  flags: PageFlags,
  readPage: (query: { limit: number; cursor?: string }) => Promise<P>,
  rowsOf: (page: P) => readonly T[],
): Promise<ReadRows<T>> {
  const limit =
    flags.limit === undefined
      ? flags.all
        ? PAGE_LIMITS.max
        : PAGE_LIMITS.default
      : checkedOption('--limit', PageLimitSchema, flags.limit);
  const from =
    flags.cursor === undefined ? undefined : checkedOption('--cursor', PageCursorSchema, flags.cursor);
  const read = (cursor: string | undefined) =>
    readPage({ limit, ...(cursor === undefined ? {} : { cursor }) });
  if (flags.all) return { rows: await readAllPages(read, rowsOf, from), nextCursor: null };
  const page = await read(from);
  return { rows: [...rowsOf(page)], nextCursor: page.nextCursor };
}

/**
 * Prints the rows (JSON: the array, as before pages), and, when more follow, how to read them on
 * stderr, so stdout stays the list alone.
 */
export function printRows<T>(
  read: ReadRows<T>,
  json: boolean | undefined,
  line: (row: T) => string,
  none: string,
): void {
  process.stdout.write(
    json
      ? `${JSON.stringify(read.rows, null, 2)}\n`
      : `${read.rows.length ? read.rows.map(line).join('\n') : none}\n`,
  );
  if (read.nextCursor !== null) {
    process.stderr.write(
      `${styleText('dim', `more: the same command with --cursor ${read.nextCursor} (or --all for every page)`)}\n`,
    );
  }
}
