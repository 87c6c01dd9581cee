import type { BoardEvent, DeviceView } from '#lib/protocol.ts';
import { listDevices } from '../api/devices.ts';
import { errorMessage } from '../api/gateway.ts';
import { board } from '../state/board.svelte.ts';
import { appendNew, PAGE_SIZE, readPagesUpTo } from '../state/pages.ts';

/**
 * The gateway's devices, for the Devices page and the sidebar's count of pairing requests, read a
 * page at a time (pending requests come first, so the first page holds them). Kept current by the
 * board's push events, never by polling: the pages shown are read again on every `events.ready`
 * and `devices.changed` (a request arrived, was approved, rejected, revoked or rotated). Only a
 * device holding `devices.admin` may read it.
 */
class DevicesState {
  list = $state<DeviceView[]>([]);
  loaded = $state(false);
  error = $state('');
  /** The cursor of the page after the list; null once every device is read. */
  nextCursor = $state<string | null>(null);
  loadingMore = $state(false);
  moreError = $state('');
  #users = 0;
  #unsubscribe: (() => void) | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  /** Pages "Load more" added: a refresh that overlapped one reads again. */
  #pagesAdded = 0;

  pending = $derived(this.list.filter((device) => device.status === 'pending'));
  paired = $derived(this.list.filter((device) => device.status === 'paired'));
  revoked = $derived(this.list.filter((device) => device.status === 'revoked'));

  /** Loads and follows events for the first user; call the returned function when done. */
  use(): () => void {
    this.#users += 1;
    if (this.#users === 1) {
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

  /** Reads the whole list; a call while one runs makes it read once more when done. */
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
          const limit = Math.min(500, Math.max(PAGE_SIZE, this.list.length));
          const read = await readPagesUpTo(async (cursor) => {
            const page = await listDevices({ limit, ...(cursor ? { cursor } : {}) });
            return { rows: page.devices, nextCursor: page.nextCursor };
          }, this.list.length);
          // "Load more" added a page meanwhile: read again as far as it reached, not back to fewer.
          if (this.#pagesAdded !== loads) {
            this.#again = true;
            continue;
          }
          this.list = read.rows;
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

  /** The next page of devices. */
  async loadMore(): Promise<void> {
    if (this.loadingMore || this.nextCursor === null) return;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await listDevices({ limit: PAGE_SIZE, cursor: this.nextCursor });
      this.list = appendNew(this.list, page.devices);
      this.nextCursor = page.nextCursor;
      this.#pagesAdded += 1;
    } catch (error) {
      this.moreError = errorMessage(error);
    } finally {
      this.loadingMore = false;
    }
  }

  /** An answer of an action (approve, revoke, rotate): shown at once, before the event's refetch. */
  upsert(device: DeviceView): void {
    const known = this.list.some((candidate) => candidate.id === device.id);
    this.list = known
      ? this.list.map((candidate) => (candidate.id === device.id ? device : candidate))
      : [...this.list, device];
  }

  remove(deviceId: string): void {
    this.list = this.list.filter((device) => device.id !== deviceId);
  }

  #apply(event: BoardEvent): void {
    if (event.type === 'events.ready' || event.type === 'devices.changed') void this.refresh();
  }
}

export const devices = new DevicesState();
