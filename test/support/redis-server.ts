import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

/**
 * A throwaway Redis for one test file: Debian's `redis-server` (the `redis-server` package, which
 * `.ci/run` installs) on 127.0.0.1 and a free port, no persistence (`--save ''`, `--appendonly
 * no`), its working folder a temp folder. It can be stopped and started again on the same port
 * (a Redis restarted under running gateways: clients reconnect to the same address, and find it
 * empty, as after a real restart without persistence).
 */

const BIN = process.env.OPENVIBER_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (SIGTERM; SIGKILL after 5 s); its clients see their connections close. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  dispose(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = makeTempDir('redis');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    if (child) return;
    output = '';
    const started = spawn(
      BIN,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    started.stdout?.on('data', (data: Buffer) => (output += data.toString()));
    started.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    const exited = new Promise<never>((_, reject) => {
      started.once('error', reject);
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.trim()}`)));
    });
    child = started;
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    await Promise.race([waitForPort(port, 10_000), exited]).catch((error: unknown) => {
      started.kill('SIGKILL');
      throw new Error(
        `redis-server did not start on 127.0.0.1:${port} (is Debian's redis-server installed? ${BIN})`,
        { cause: error },
      );
    });
  };
  const stop = async () => {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    stop,
    start,
    async dispose() {
      await stop();
      process.removeListener('exit', killOnExit);
      removeTempDir(dir);
    },
  };
}

/** One Redis for the calling test file: started before its tests, disposed of after. */
export function useRedisServer(): { readonly server: RedisServer } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return {
    get server() {
      if (!server) throw new Error('the Redis server runs only inside the tests of its file');
      return server;
    },
  };
}

/** A port the system says is free on 127.0.0.1 (bound to port 0, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Resolves once something accepts connections on the port, polling every 20 ms. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
