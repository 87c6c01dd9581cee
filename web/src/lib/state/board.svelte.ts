import type { BoardEvent, TaskActivity, TaskView, ViberView } from '#lib/protocol.ts';
import { BoardEventsConnection, type LinkState } from '../api/board-events.ts';
import { errorMessage } from '../api/gateway.ts';
import { listTasks } from '../api/tasks.ts';
import { listVibers } from '../api/vibers.ts';

const TASK_LIST_LIMIT = 500;

/**
 * What the whole board shows: tasks, vibers and what running tasks are doing, kept current by
 * the push-event channel. On every (re)connection it refetches from the REST API, since events
 * are not replayed; in between, events update it with no polling.
 */
class BoardState {
  tasks = $state<Record<string, TaskView>>({});
  vibers = $state<Record<string, ViberView>>({});
  activities = $state<Record<string, TaskActivity>>({});
  link = $state<LinkState>('connecting');
  linkDetail = $state('');
  loaded = $state(false);
  loadError = $state('');
  #connection: BoardEventsConnection | undefined;
  /** Task and viber ids events touched while a refetch was in flight: they may be newer. */
  #touchedDuringFetch: Set<string> | undefined;
  readonly #listeners = new Set<(event: BoardEvent) => void>();

  taskList = $derived(
    Object.values(this.tasks).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)),
  );
  viberList = $derived(Object.values(this.vibers).sort((a, b) => a.name.localeCompare(b.name)));

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

  async refetch(): Promise<void> {
    this.#touchedDuringFetch = new Set();
    try {
      const [tasks, vibers] = await Promise.all([listTasks(TASK_LIST_LIMIT), listVibers()]);
      const nextTasks: Record<string, TaskView> = {};
      for (const task of tasks) nextTasks[task.id] = newer(this.tasks[task.id], task);
      for (const id of this.#touchedDuringFetch) {
        const current = this.tasks[id];
        if (current) nextTasks[id] = newer(nextTasks[id], current);
      }
      this.tasks = nextTasks;
      const nextVibers: Record<string, ViberView> = {};
      for (const viber of vibers) {
        const current = this.vibers[viber.id];
        nextVibers[viber.id] = current && this.#touchedDuringFetch.has(viber.id) ? current : viber;
      }
      this.vibers = nextVibers;
      this.loaded = true;
      this.loadError = '';
    } catch (error) {
      this.loadError = errorMessage(error);
    } finally {
      this.#touchedDuringFetch = undefined;
    }
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
