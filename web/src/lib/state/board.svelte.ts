import { readAllPages } from '#lib/client.ts';
import type { BoardEvent, TaskActivity, TaskView, ViberView } from '#lib/protocol.ts';
import { BoardEventsConnection, type LinkState } from '../api/board-events.ts';
import { errorMessage, isNotFound } from '../api/gateway.ts';
import { listTasks } from '../api/tasks.ts';
import { getViber, listVibers, type ViberListQuery } from '../api/vibers.ts';
import { byName, PAGE_SIZE, readPagesUpTo } from './pages.ts';

/** Rows per request when reading every page of a list (the gateway's most). */
const WHOLE_PAGE = 500;
/** A viber's page shows its running tasks and a few recent ones. */
const VIBER_TASKS = 10;

/** Where a list the board reads a page at a time stands. */
export interface PageState {
  /** The cursor of the next page; null once the whole list is read. */
  nextCursor: string | null;
  /** Rows read through this list's pages: a refetch reads as many again. */
  read: number;
  loading: boolean;
  error: string;
}

const freshPages = (): PageState => ({ nextCursor: null, read: 0, loading: false, error: '' });

/**
 * What the whole board shows: tasks, vibers and what running tasks are doing, kept current by
 * the push-event channel. On every (re)connection it refetches from the REST API, since events
 * are not replayed; in between, events update it with no polling.
 *
 * Lists are read a page at a time. Tasks: the newest page (of every task, and of the selected
 * environment's), every running task, and more on "Load more". Vibers: every connected viber,
 * the first page by name, more on the Vibers page's "Load more", and any other one a page names
 * (`ensureViber`).
 */
class BoardState {
  tasks = $state<Record<string, TaskView>>({});
  vibers = $state<Record<string, ViberView>>({});
  /** Task pages by scope: '' every task, else an environment's id. */
  taskPages = $state<Record<string, PageState>>({});
  /** The vibers by name, read a page at a time for the Vibers page. */
  viberPages = $state<PageState>(freshPages());
  /** The last viber (by name) the Vibers page's pages reached; null when none is read yet. */
  viberPagesEnd = $state<ViberView | null>(null);
  /** False while the board knows some vibers exist that it has not read. */
  vibersComplete = $state(false);
  /** Vibers being read one by one (`ensureViber`), and those the gateway said it does not have. */
  viberLookups = $state<Record<string, 'reading' | 'missing' | 'failed'>>({});
  activities = $state<Record<string, TaskActivity>>({});
  link = $state<LinkState>('connecting');
  linkDetail = $state('');
  loaded = $state(false);
  loadError = $state('');
  #connection: BoardEventsConnection | undefined;
  /** Task and viber ids events touched while a refetch was in flight: they may be newer. */
  #touchedDuringFetch: Set<string> | undefined;
  /** Pages "Load more" added (tasks or vibers): a refetch that overlapped one reads again. */
  #pagesAdded = 0;
  readonly #listeners = new Set<(event: BoardEvent) => void>();
  /** The task scope the sidebar shows ('' every task): a refetch reads its pages too. */
  #taskScope = '';
  /** The viber whose page is shown: a refetch reads its newest tasks too. */
  #taskViber = '';

  taskList = $derived(
    Object.values(this.tasks).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)),
  );
  viberList = $derived(Object.values(this.vibers).sort((a, b) => a.name.localeCompare(b.name)));
  /**
   * The Vibers page's rows: every viber known, in the gateway's order, up to where its pages
   * reached (a connected viber further down waits for its page, so no row jumps in above).
   */
  viberRows = $derived.by(() => {
    const sorted = Object.values(this.vibers).sort(byName);
    const end = this.viberPagesEnd;
    if (this.viberPages.nextCursor === null || !end) return sorted;
    return sorted.filter((viber) => byName(viber, end) <= 0);
  });

  start(): void {
    if (this.#connection) return;
    this.#connection = new BoardEventsConnection({
      onReady: (event) => {
        this.activities = { ...event.activities };
        void this.refetch();
        this.#notify(event);
      },
      onEvent: (event) => {
        this.apply(event);
        this.#notify(event);
      },
      onState: (state, detail) => {
        this.link = state;
        this.linkDetail = detail ?? '';
      },
    });
    this.#connection.start();
  }

  /**
   * Every event of the one connection, for the board's other features (environments): on
   * `events.ready` they refetch what they show, then apply events. Returns the unsubscribe.
   */
  subscribe(listener: (event: BoardEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(event: BoardEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  stop(): void {
    this.#connection?.stop();
    this.#connection = undefined;
  }

  /**
   * Reads again what the board shows: as many tasks of each shown scope as were read, every
   * running task, every connected viber and as many vibers by name as the Vibers page read.
   */
  async refetch(): Promise<void> {
    this.#touchedDuringFetch = new Set();
    const scopes = [...new Set(['', this.#taskScope])];
    const loads = this.#pagesAdded;
    try {
      const [taskPages, running, ofViber, viberPage, connected] = await Promise.all([
        Promise.all(scopes.map((scope) => this.#readTaskScope(scope, this.taskPages[scope]?.read ?? 0))),
        readAllPages(
          (cursor) => listTasks({ status: 'running', limit: WHOLE_PAGE, ...(cursor ? { cursor } : {}) }),
          (page) => page.tasks,
        ),
        this.#taskViber ? listTasks({ viberId: this.#taskViber, limit: VIBER_TASKS }) : undefined,
        this.#readViberPages(this.viberPages.read),
        Promise.all((['online', 'busy'] as const).map((presence) => this.#allVibers({ presence }))),
      ]);
      // "Load more" added a page meanwhile: read again as far as it reached, not back to fewer.
      if (this.#pagesAdded !== loads) return await this.refetch();
      const nextTasks: Record<string, TaskView> = {};
      for (const task of [...taskPages.flatMap((page) => page.rows), ...running, ...(ofViber?.tasks ?? [])]) {
        nextTasks[task.id] = newer(nextTasks[task.id] ?? this.tasks[task.id], task);
      }
      for (const id of this.#touchedDuringFetch) {
        const current = this.tasks[id];
        if (current) nextTasks[id] = newer(nextTasks[id], current);
      }
      this.tasks = nextTasks;
      this.taskPages = Object.fromEntries(
        scopes.map((scope, index) => [
          scope,
          { ...freshPages(), nextCursor: taskPages[index]!.nextCursor, read: taskPages[index]!.rows.length },
        ]),
      );
      const nextVibers: Record<string, ViberView> = {};
      for (const viber of [...viberPage.rows, ...connected.flat()]) {
        const current = this.vibers[viber.id];
        nextVibers[viber.id] = current && this.#touchedDuringFetch.has(viber.id) ? current : viber;
      }
      // Vibers events told of meanwhile that no list had yet.
      for (const id of this.#touchedDuringFetch) {
        const current = this.vibers[id];
        if (current && !nextVibers[id]) nextVibers[id] = current;
      }
      this.vibers = nextVibers;
      this.viberPages = { ...freshPages(), nextCursor: viberPage.nextCursor, read: viberPage.rows.length };
      this.viberPagesEnd = viberPage.rows.at(-1) ?? null;
      this.vibersComplete = viberPage.nextCursor === null;
      this.viberLookups = {};
      this.loaded = true;
      this.loadError = '';
    } catch (error) {
      this.loadError = errorMessage(error);
    } finally {
      this.#touchedDuringFetch = undefined;
    }
  }

  /**
   * The sidebar shows this scope ('' every task, else an environment's id): its first page is
   * read unless it was.
   */
  showTaskScope(scope: string): void {
    this.#taskScope = scope;
    if (!this.loaded || this.taskPages[scope]) return;
    this.taskPages[scope] = { ...freshPages(), loading: true };
    void this.#loadTaskPage(scope, undefined);
  }

  /** A viber's page is shown: its newest tasks are read (and again on every refetch). */
  showTasksOf(viberId: string): void {
    if (!viberId || !this.loaded || this.#taskViber === viberId) return;
    this.#taskViber = viberId;
    listTasks({ viberId, limit: VIBER_TASKS })
      .then((page) => {
        for (const task of page.tasks) this.tasks[task.id] = newer(this.tasks[task.id], task);
      })
      .catch(() => {
        // The layout's banner tells when the gateway is away; the next refetch reads them.
      });
  }

  /** The next page of the scope's tasks (the first again, when reading it failed). */
  loadMoreTasks(scope: string): void {
    const state = this.taskPages[scope];
    if (!state || state.loading || (state.nextCursor === null && state.read > 0)) return;
    state.loading = true;
    state.error = '';
    void this.#loadTaskPage(scope, state.nextCursor ?? undefined);
  }

  async #loadTaskPage(scope: string, cursor: string | undefined): Promise<void> {
    try {
      const page = await listTasks({
        limit: PAGE_SIZE,
        ...(scope ? { environmentId: scope } : {}),
        ...(cursor ? { cursor } : {}),
      });
      for (const task of page.tasks) this.tasks[task.id] = newer(this.tasks[task.id], task);
      const read = (this.taskPages[scope]?.read ?? 0) + page.tasks.length;
      this.taskPages[scope] = { ...freshPages(), nextCursor: page.nextCursor, read };
      this.#pagesAdded += 1;
    } catch (error) {
      this.taskPages[scope] = { ...(this.taskPages[scope] ?? freshPages()), loading: false, error: errorMessage(error) };
    }
  }

  #readTaskScope(scope: string, shown: number) {
    const limit = Math.min(WHOLE_PAGE, Math.max(PAGE_SIZE, shown));
    return readPagesUpTo(async (cursor) => {
      const page = await listTasks({ limit, ...(scope ? { environmentId: scope } : {}), ...(cursor ? { cursor } : {}) });
      return { rows: page.tasks, nextCursor: page.nextCursor };
    }, shown);
  }

  /** The next page of vibers by name, for the Vibers page. */
  async loadMoreVibers(): Promise<void> {
    const state = this.viberPages;
    if (state.loading || state.nextCursor === null) return;
    state.loading = true;
    state.error = '';
    try {
      const page = await listVibers({ limit: PAGE_SIZE, cursor: state.nextCursor });
      for (const viber of page.vibers) this.vibers[viber.id] = viber;
      this.viberPages = { ...freshPages(), nextCursor: page.nextCursor, read: state.read + page.vibers.length };
      this.#pagesAdded += 1;
      if (page.vibers.length > 0) this.viberPagesEnd = page.vibers.at(-1)!;
      if (page.nextCursor === null) this.vibersComplete = true;
    } catch (error) {
      this.viberPages = { ...state, loading: false, error: errorMessage(error) };
    }
  }

  #readViberPages(shown: number) {
    const limit = Math.min(WHOLE_PAGE, Math.max(PAGE_SIZE, shown));
    return readPagesUpTo(async (cursor) => {
      const page = await listVibers({ limit, ...(cursor ? { cursor } : {}) });
      return { rows: page.vibers, nextCursor: page.nextCursor };
    }, shown);
  }

  #allVibers(query: ViberListQuery): Promise<ViberView[]> {
    return readAllPages(
      (cursor) => listVibers({ ...query, limit: WHOLE_PAGE, ...(cursor ? { cursor } : {}) }),
      (page) => page.vibers,
    );
  }

  /** A viber a page names (a task's, a device's) that no list read yet: read on its own. */
  ensureViber(id: string): void {
    if (!id || !this.loaded || this.vibers[id] || this.viberLookups[id]) return;
    this.viberLookups[id] = 'reading';
    getViber(id)
      .then((viber) => {
        if (!this.vibers[id]) this.vibers[id] = viber;
        delete this.viberLookups[id];
      })
      .catch((error: unknown) => {
        // Gone (revoked, or never here), or not answered: not asked again until the next refetch.
        this.viberLookups[id] = isNotFound(error) ? 'missing' : 'failed';
      });
  }

  apply(event: BoardEvent): void {
    switch (event.type) {
      case 'task.created':
        this.upsertTask(event.task);
        return;
      case 'task.updated':
        this.upsertTask(event.task);
        if (event.activity) this.activities[event.task.id] = event.activity;
        else delete this.activities[event.task.id];
        return;
      case 'viber.updated':
        this.#touchedDuringFetch?.add(event.viber.id);
        this.vibers[event.viber.id] = event.viber;
        return;
      case 'viber.revoked':
        delete this.vibers[event.viberId];
        return;
      case 'events.ready':
      case 'environment.updated':
      case 'environment.removed':
      case 'environment.log':
        return;
    }
  }

  /** Keeps the newer of what we have and what arrived (a refetch may race an event). */
  upsertTask(task: TaskView): void {
    this.#touchedDuringFetch?.add(task.id);
    this.tasks[task.id] = newer(this.tasks[task.id], task);
  }
}

function newer(current: TaskView | undefined, incoming: TaskView): TaskView {
  if (!current) return incoming;
  if (incoming.updatedAt > current.updatedAt) return incoming;
  if (incoming.updatedAt < current.updatedAt) return current;
  return incoming.lastSeq >= current.lastSeq ? incoming : current;
}

export const board = new BoardState();
