import type { BoardEvent, DeviceView } from '#lib/protocol.ts';
import { listDevices } from '../api/devices.ts';
import { board } from '../state/board.svelte.ts';
import { PagedRows } from '../state/paged-rows.svelte.ts';

/**
 * The gateway's devices, for the Devices page and the sidebar's count of pairing requests, read a
 * page at a time (pending requests come first, so the first page holds them). Kept current by the
 * board's push events, never by polling: the pages shown are read again on every `events.ready`
 * and `devices.changed` (a request arrived, was approved, rejected, revoked or rotated). Only a
 * device holding `devices.admin` may read it.
 */
class DevicesState {
  readonly #pages = new PagedRows<DeviceView>(async (page) => {
    const read = await listDevices(page);
    return { rows: read.devices, nextCursor: read.nextCursor };
  });
  #users = 0;
  #unsubscribe: (() => void) | undefined;

  get list(): DeviceView[] {
    return this.#pages.rows;
  }
  get loaded(): boolean {
    return this.#pages.loaded;
  }
  get error(): string {
    return this.#pages.error;
  }
  /** The cursor of the page after the list; null once every device is read. */
  get nextCursor(): string | null {
    return this.#pages.nextCursor;
  }
  get loadingMore(): boolean {
    return this.#pages.loadingMore;
  }
  get moreError(): string {
    return this.#pages.moreError;
  }

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

  /** Reads again as many devices as are shown (state/paged-rows.svelte.ts). */
  refresh(): Promise<void> {
    return this.#pages.refresh();
  }

  /** The next page of devices. */
  loadMore(): Promise<void> {
    return this.#pages.loadMore();
  }

  /** An answer of an action (approve, revoke, rotate): shown at once, before the event's refetch. */
  upsert(device: DeviceView): void {
    const known = this.list.some((candidate) => candidate.id === device.id);
    this.#pages.rows = known
      ? this.list.map((candidate) => (candidate.id === device.id ? device : candidate))
      : [...this.list, device];
  }

  remove(deviceId: string): void {
    this.#pages.rows = this.list.filter((device) => device.id !== deviceId);
  }

  #apply(event: BoardEvent): void {
    if (event.type === 'events.ready' || event.type === 'devices.changed') void this.refresh();
  }
}

export const devices = new DevicesState();
