import type { BoardEvent, DeviceView } from '#lib/protocol.ts';
import { listDevices } from '../api/devices.ts';
import { errorMessage } from '../api/gateway.ts';
import { board } from '../state/board.svelte.ts';

/**
 * The gateway's devices, for the Devices page and the sidebar's count of pairing requests. Kept
 * current by the board's push events, never by polling: the whole list is read again on every
 * `events.ready` and `devices.changed` (a request arrived, was approved, rejected, revoked or
 * rotated). Only a device holding `devices.admin` may read it.
 */
class DevicesState {
  list = $state<DeviceView[]>([]);
  loaded = $state(false);
  error = $state('');
  #users = 0;
  #unsubscribe: (() => void) | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;

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
          this.list = await listDevices();
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
