import { errorMessage } from '../api/gateway.ts';
import { appendNew, PAGE_SIZE, type Pages, readPagesUpTo } from './pages.ts';

/** Reads the page after `cursor` (the first without one) with `limit` rows. */
export type ReadRows<T> = (page: { limit: number; cursor?: string }) => Promise<Pages<T>>;

/**
 * A list the board reads a page at a time (devices, jobs, a job's runs): the first page, more on
 * "Load more", and `refresh` reads again as many rows as are shown (a board event said the list
 * changed), so loading more is never undone. A refresh asked while one runs makes it read once
 * more when done, and one that overlapped a "Load more" reads again as far as it reached.
 */
export class PagedRows<T extends { id: string }> {
  rows = $state<T[]>([]);
  /** The cursor of the page after the rows; null once every row is read. */
  nextCursor = $state<string | null>(null);
  loaded = $state(false);
  error = $state('');
  loadingMore = $state(false);
  moreError = $state('');
  readonly #read: ReadRows<T>;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #pagesAdded = 0;

  constructor(read: ReadRows<T>) {
    this.#read = read;
  }

  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        try {
          const loads = this.#pagesAdded;
          const limit = Math.min(500, Math.max(PAGE_SIZE, this.rows.length));
          const read = await readPagesUpTo(
            (cursor) => this.#read({ limit, ...(cursor ? { cursor } : {}) }),
            this.rows.length,
          );
          if (this.#pagesAdded !== loads) {
            this.#again = true;
            continue;
          }
          this.rows = read.rows;
          this.nextCursor = read.nextCursor;
          this.loaded = true;
          this.error = '';
        } catch (error) {
          this.error = errorMessage(error);
        }
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async loadMore(): Promise<void> {
    if (this.loadingMore || this.nextCursor === null) return;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await this.#read({ limit: PAGE_SIZE, cursor: this.nextCursor });
      this.rows = appendNew(this.rows, page.rows);
      this.nextCursor = page.nextCursor;
      this.#pagesAdded += 1;
    } catch (error) {
      this.moreError = errorMessage(error);
    } finally {
      this.loadingMore = false;
    }
  }
}
