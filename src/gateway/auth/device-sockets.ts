/** A live socket of a device, as the registry needs it: something to close. */
export interface DeviceSocket {
  close(code: number, reason: string): void;
}

/**
 * The live sockets of each device on this gateway (daemon, terminal and operator sockets alike),
 * so revoking or rotating a device closes every one of them at once.
 */
export class DeviceSockets {
  readonly #byDevice = new Map<string, Set<DeviceSocket>>();

  /** Registers a socket; the returned function unregisters it (call it on close). */
  add(deviceId: string, socket: DeviceSocket): () => void {
    let sockets = this.#byDevice.get(deviceId);
    if (!sockets) {
      sockets = new Set();
      this.#byDevice.set(deviceId, sockets);
    }
    sockets.add(socket);
    return () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.#byDevice.get(deviceId) === sockets) this.#byDevice.delete(deviceId);
    };
  }

  count(deviceId: string): number {
    return this.#byDevice.get(deviceId)?.size ?? 0;
  }

  /** Closes every live socket of the device; returns how many. */
  closeAll(deviceId: string, code: number, reason: string): number {
    const sockets = [...(this.#byDevice.get(deviceId) ?? [])];
    for (const socket of sockets) socket.close(code, reason);
    return sockets.length;
  }
}
