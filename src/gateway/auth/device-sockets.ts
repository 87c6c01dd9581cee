/** A live socket of a device, as the registry needs it: something to close. */
export interface DeviceSocket {
  close(code: number, reason: string): void;
}

/**
 * The live sockets of each device on this gateway (daemon, terminal and operator sockets alike),
 * so revoking or rotating a device closes every one of them at once. A device nearly always has
 * one socket (a viber's daemon): it is kept as it is, and a set is made only for a second one.
 */
export class DeviceSockets {
  readonly #byDevice = new Map<string, DeviceSocket | Set<DeviceSocket>>();

  /** Registers a socket; the returned function unregisters it (call it on close). */
  add(deviceId: string, socket: DeviceSocket): () => void {
    this.register(deviceId, socket);
    return () => this.unregister(deviceId, socket);
  }

  register(deviceId: string, socket: DeviceSocket): void {
    const current = this.#byDevice.get(deviceId);
    if (current === undefined) this.#byDevice.set(deviceId, socket);
    else if (current instanceof Set) current.add(socket);
    else if (current !== socket) this.#byDevice.set(deviceId, new Set([current, socket]));
  }

  unregister(deviceId: string, socket: DeviceSocket): void {
    const current = this.#byDevice.get(deviceId);
    if (current === socket) this.#byDevice.delete(deviceId);
    else if (current instanceof Set) {
      current.delete(socket);
      if (current.size === 0) this.#byDevice.delete(deviceId);
    }
  }

  count(deviceId: string): number {
    return this.#sockets(deviceId).length;
  }

  /** Closes every live socket of the device; returns how many. */
  closeAll(deviceId: string, code: number, reason: string): number {
    const sockets = this.#sockets(deviceId);
    for (const socket of sockets) socket.close(code, reason);
    return sockets.length;
  }

  #sockets(deviceId: string): DeviceSocket[] {
    const current = this.#byDevice.get(deviceId);
    if (current === undefined) return [];
    return current instanceof Set ? [...current] : [current];
  }
}
