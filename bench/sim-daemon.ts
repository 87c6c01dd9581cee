import WebSocket from 'ws';
import { Backoff } from '../src/client/backoff.ts';
import type { DeviceIdentity } from '../src/client/index.ts';
import { FakeDaemon } from '../test/support/fake-daemon.ts';

/**
 * A simulated daemon for the scale-out bench: the test suite's FakeDaemon (a raw `ws` client with
 * the signed connect handshake, `connected`, `welcome`) for each connection, plus what a real
 * daemon does around it: a heartbeat every interval the gateway's `welcome` names, and after a lost
 * connection the next URL of its list after the daemon's own jittered backoff (`viber start
 * --server a,b,c`). It takes every task on at once: `command:ack`, `task:started`, and, unless
 * told to hold it, `task:completed`.
 */

const HEARTBEAT = JSON.stringify({
  type: 'heartbeat',
  status: { state: 'idle', runningTasks: 0, uptimeSeconds: 60 },
});

export interface SimDaemonOptions {
  /** The gateways' `/ws` URLs, tried in order after a lost connection (the first one first). */
  urls: string[];
  viberId: string;
  token: string;
  identity: DeviceIdentity;
  name: string;
}

export class SimDaemon {
  readonly options: SimDaemonOptions;
  /** Connections made so far; `connectedAt` is `performance.now()` of the latest `welcome`. */
  connections = 0;
  connectedAt = 0;
  /** The URL of the current connection, when there is one. */
  url: string | undefined;
  /** Called with the task id and `performance.now()` when a `task:submit` arrives. */
  onSubmit: ((taskId: string, at: number) => void) | undefined;
  /** When true the daemon reports tasks started and leaves them running. */
  holdTasks = false;
  #daemon: FakeDaemon | undefined;
  #index = 0;
  #backoff = new Backoff();
  #heartbeat: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: SimDaemonOptions) {
    this.options = options;
  }

  get online(): boolean {
    return this.#daemon?.socket.readyState === WebSocket.OPEN;
  }

  /** The current connection's socket (the relay bench sends its chunks on it). */
  get socket(): WebSocket {
    if (!this.#daemon) throw new Error(`${this.options.name} is not connected`);
    return this.#daemon.socket;
  }

  /** Connects to the first URL; rejects if that fails (the fleet is set up on live gateways). */
  async start(timeoutMs = 60_000): Promise<void> {
    await this.#connect(this.options.urls[this.#index]!, timeoutMs);
  }

  async #connect(url: string, timeoutMs = 30_000): Promise<void> {
    const daemon = await FakeDaemon.connect(url, {
      viberId: this.options.viberId,
      token: this.options.token,
      identity: this.options.identity,
      name: this.options.name,
      timeoutMs,
    });
    if (this.#stopped) {
      daemon.socket.terminate();
      return;
    }
    const welcome = daemon.received.find((message) => message.type === 'welcome');
    const interval = welcome?.type === 'welcome' ? welcome.heartbeatIntervalMs : 30_000;
    // Commands queued for this viber may come right behind the welcome, before the listener below.
    const early = daemon.received.filter((message) => message.type === 'task:submit');
    daemon.received.length = 0;
    this.#daemon = daemon;
    this.url = url;
    this.connections += 1;
    this.connectedAt = performance.now();
    this.#backoff.reset();
    for (const submit of early) this.#submit(daemon, submit.taskId, submit.commandId);
    daemon.socket.on('message', (data) => this.#receive(daemon, data.toString()));
    daemon.socket.once('close', () => this.#lost(daemon));
    // Heartbeats spread over the interval, as daemons that connected at different times send them.
    clearInterval(this.#heartbeat);
    const beat = () => {
      if (daemon.socket.readyState === WebSocket.OPEN) daemon.socket.send(HEARTBEAT);
    };
    this.#heartbeat = setTimeout(
      () => {
        beat();
        this.#heartbeat = setInterval(beat, interval);
        this.#heartbeat.unref();
      },
      Math.random() * interval * 0.8,
    );
    this.#heartbeat.unref();
  }

  #receive(daemon: FakeDaemon, text: string): void {
    // FakeDaemon keeps every message it parsed; nothing here reads them back.
    daemon.received.length = 0;
    if (!text.startsWith('{"type":"task:submit"')) return;
    const message = JSON.parse(text) as { taskId: string; commandId: string };
    this.#submit(daemon, message.taskId, message.commandId);
  }

  #submit(daemon: FakeDaemon, taskId: string, commandId: string): void {
    this.onSubmit?.(taskId, performance.now());
    daemon.socket.send(JSON.stringify({ type: 'command:ack', commandId }));
    daemon.socket.send(JSON.stringify({ type: 'task:started', taskId, seq: 1, spaceId: '' }));
    if (!this.holdTasks) {
      daemon.socket.send(
        JSON.stringify({ type: 'task:completed', taskId, seq: 2, result: { text: 'done' } }),
      );
    }
  }

  #lost(daemon: FakeDaemon): void {
    if (this.#daemon !== daemon) return;
    this.#daemon = undefined;
    this.url = undefined;
    clearInterval(this.#heartbeat);
    this.#retry();
  }

  /** The daemon's way after a lost or failed connection: wait the backoff, then the next URL. */
  #retry(): void {
    if (this.#stopped) return;
    const delay = this.#backoff.next();
    this.#index = (this.#index + 1) % this.options.urls.length;
    this.#reconnect = setTimeout(() => {
      this.#connect(this.options.urls[this.#index]!).catch(() => this.#retry());
    }, delay);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    clearInterval(this.#heartbeat);
    this.#daemon?.socket.terminate();
    this.#daemon = undefined;
  }
}
