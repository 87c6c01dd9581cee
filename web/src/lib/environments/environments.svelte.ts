import type { EnvironmentView } from '#lib/protocol.ts';
import { ApiError } from '../api/http.ts';
import { listEnvironments } from './environments-api.ts';

const SELECTED_KEY = 'openviber.environment';
/** While a binding is on its way, the list refreshes this often; otherwise slowly. */
const BUSY_POLL_MS = 1000;
const IDLE_POLL_MS = 15_000;

/**
 * The environments the sidebar shows and the one selected (kept in localStorage, so the board
 * opens where the operator left it). `''` means every task, whatever its environment.
 */
class EnvironmentsState {
  list = $state<EnvironmentView[]>([]);
  loaded = $state(false);
  error = $state('');
  selectedId = $state('');
  #timer: ReturnType<typeof setTimeout> | undefined;
  #users = 0;
  /** Nothing chosen yet on this browser: the sidebar opens on an environment (section 3). */
  #neverChosen = false;

  selected = $derived(this.list.find((environment) => environment.id === this.selectedId));
  busy = $derived(this.list.some((environment) => environment.bindings.some((b) => ['pending', 'preparing', 'stale'].includes(b.status))));

  /** Starts polling for the first user; `release` when done. */
  use(): () => void {
    this.#users += 1;
    if (this.#users === 1) {
      const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(SELECTED_KEY) : null;
      this.#neverChosen = stored === null;
      this.selectedId = stored ?? '';
      void this.refresh();
    }
    return () => {
      this.#users -= 1;
      if (this.#users === 0) clearTimeout(this.#timer);
    };
  }

  select(id: string): void {
    this.#neverChosen = false;
    this.selectedId = id;
    if (typeof localStorage !== 'undefined') localStorage.setItem(SELECTED_KEY, id);
  }

  upsert(environment: EnvironmentView): void {
    const others = this.list.filter((candidate) => candidate.id !== environment.id);
    this.list = [...others, environment].sort((a, b) => a.name.localeCompare(b.name));
    this.#schedule();
  }

  async refresh(): Promise<void> {
    clearTimeout(this.#timer);
    try {
      this.list = await listEnvironments();
      this.loaded = true;
      this.error = '';
      if (this.selectedId && !this.list.some((environment) => environment.id === this.selectedId)) this.select('');
      if (this.#neverChosen && !this.selectedId && this.list.length > 0) {
        this.select((this.list.find((environment) => environment.status === 'ready') ?? this.list[0]!).id);
      }
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#users === 0) return;
    this.#timer = setTimeout(() => void this.refresh(), this.busy ? BUSY_POLL_MS : IDLE_POLL_MS);
  }
}

export const environments = new EnvironmentsState();

export const PILL_LABELS = { unmapped: 'Unmapped', preparing: 'Preparing', ready: 'Ready', error: 'Error' } as const;
