import type { BoardEvent, EnvironmentView } from '#lib/protocol.ts';
import { getEnvironment, listEnvironments } from '../api/environments.ts';
import { errorMessage, isNotFound } from '../api/gateway.ts';
import { board } from '../state/board.svelte.ts';
import { appendNew, byName, PAGE_SIZE, readPagesUpTo } from '../state/pages.ts';

const SELECTED_KEY = 'openviber.environment';

/**
 * The environments the sidebar shows and the one selected (kept in localStorage, so the board
 * opens where the operator left it). `''` means every task, whatever its environment. Read a page
 * at a time, by name; the selected one is read on its own when no page has it yet. Kept current
 * by the board's push events, never by polling: the pages read are read again on every
 * `events.ready`.
 */
class EnvironmentsState {
  list = $state<EnvironmentView[]>([]);
  loaded = $state(false);
  error = $state('');
  /** The cursor of the page after the list; null once every environment is read. */
  nextCursor = $state<string | null>(null);
  loadingMore = $state(false);
  moreError = $state('');
  selectedId = $state('');
  #unsubscribe: (() => void) | undefined;
  #users = 0;
  /** Environments events touched while the list was being fetched: the list may be older. */
  #touchedDuringFetch: Set<string> | undefined;
  /** Environments being read one by one; true when a change came in meanwhile (read again). */
  readonly #reloads = new Map<string, boolean>();
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  /** Pages "Load more" added: a refresh that overlapped one reads again. */
  #pagesAdded = 0;

  selected = $derived(this.list.find((environment) => environment.id === this.selectedId));

  /** Loads and follows events for the first user; `release` when done. */
  use(): () => void {
    this.#users += 1;
    if (this.#users === 1) {
      // A fresh browser shows every task: choosing an environment for the operator would hide
      // the tasks that have none, the one they just opened included.
      const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(SELECTED_KEY) : null;
      this.selectedId = stored ?? '';
      this.#unsubscribe = board.subscribe((event) => this.#apply(event));
      void this.refresh();
    }
    return () => {
      this.#users -= 1;
      if (this.#users === 0) {
        this.#unsubscribe?.();
        this.#unsubscribe = undefined;
      }
    };
  }

  select(id: string): void {
    this.selectedId = id;
    if (typeof localStorage !== 'undefined') localStorage.setItem(SELECTED_KEY, id);
  }

  /**
   * One environment by id (a task's, on its page): from the list, else read on its own once and
   * kept current by events like the rest. Undefined while it is read, or when it is gone.
   */
  find(id: string): EnvironmentView | undefined {
    const listed = this.list.find((environment) => environment.id === id);
    if (!listed && !this.#asked.has(id)) {
      this.#asked.add(id);
      void this.#reload(id);
    }
    return listed;
  }
  readonly #asked = new Set<string>();

  upsert(environment: EnvironmentView): void {
    const others = this.list.filter((candidate) => candidate.id !== environment.id);
    this.list = [...others, environment].sort(byName);
  }

  /** The next page of environments. */
  async loadMore(): Promise<void> {
    if (this.loadingMore || this.nextCursor === null) return;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await listEnvironments({ limit: PAGE_SIZE, cursor: this.nextCursor });
      this.list = appendNew(this.list, page.environments).sort(byName);
      this.nextCursor = page.nextCursor;
      this.#pagesAdded += 1;
    } catch (error) {
      this.moreError = errorMessage(error);
    } finally {
      this.loadingMore = false;
    }
  }

  /** Reads the whole list; a call while one runs makes it read once more when done. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#refreshAgain = false;
        await this.#fetchList();
      } while (this.#refreshAgain);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #fetchList(): Promise<void> {
    this.#touchedDuringFetch = new Set();
    try {
      const loads = this.#pagesAdded;
      const limit = Math.min(500, Math.max(PAGE_SIZE, this.list.length));
      const read = await readPagesUpTo(async (cursor) => {
        const page = await listEnvironments({ limit, ...(cursor ? { cursor } : {}) });
        return { rows: page.environments, nextCursor: page.nextCursor };
      }, this.list.length);
      // "Load more" added a page meanwhile: read again as far as it reached, not back to fewer.
      if (this.#pagesAdded !== loads) {
        this.#refreshAgain = true;
        return;
      }
      this.list = read.rows;
      this.nextCursor = read.nextCursor;
      this.loaded = true;
      this.error = '';
      if (this.selectedId && !this.list.some((environment) => environment.id === this.selectedId)) {
        // Gone, or on a page not read yet: read it on its own (gone, it is unselected).
        if (read.nextCursor === null) this.select('');
        else void this.#reload(this.selectedId);
      }
      for (const id of this.#touchedDuringFetch) void this.#reload(id);
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.#touchedDuringFetch = undefined;
    }
  }

  #apply(event: BoardEvent): void {
    switch (event.type) {
      case 'events.ready':
        void this.refresh();
        return;
      case 'environment.updated': {
        this.#touchedDuringFetch?.add(event.environmentId);
        const current = this.list.find((environment) => environment.id === event.environmentId);
        const binding = event.binding;
        // A new or edited environment, one this list has not seen, or one being read: read it
        // (again), so an answer from before this change cannot win.
        if (!current || !binding || this.#reloads.has(event.environmentId)) void this.#reload(event.environmentId);
        if (!current || !binding) return;
        const known = current.bindings.some((candidate) => candidate.id === binding.id);
        const bindings = known
          ? current.bindings.map((candidate) => (candidate.id === binding.id ? binding : candidate))
          : [...current.bindings, binding];
        this.upsert({ ...current, status: event.status, bindings });
        return;
      }
      case 'environment.removed':
        this.#touchedDuringFetch?.add(event.environmentId);
        this.list = this.list.filter((environment) => environment.id !== event.environmentId);
        return;
    }
  }

  /**
   * One environment from the gateway (gone when it answers 404). A reload asked for while one is
   * in flight makes that one read again when it ends, so the last answer is the newest.
   */
  async #reload(id: string): Promise<void> {
    if (this.#reloads.has(id)) {
      this.#reloads.set(id, true);
      return;
    }
    try {
      do {
        this.#reloads.set(id, false);
        try {
          this.upsert(await getEnvironment(id));
        } catch (error) {
          if (isNotFound(error)) {
            this.list = this.list.filter((environment) => environment.id !== id);
            if (id === this.selectedId) this.select('');
          }
        }
      } while (this.#reloads.get(id));
    } finally {
      this.#reloads.delete(id);
    }
  }
}

export const environments = new EnvironmentsState();

export const PILL_LABELS = { unmapped: 'Unmapped', preparing: 'Preparing', ready: 'Ready', error: 'Error' } as const;
