import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveHome } from '../src/core/home.ts';
import type { RunningDaemon } from '../src/daemon/index.ts';
import { startDaemon } from '../src/daemon/index.ts';
import { TerminalClient } from '../src/gateway/terminals/terminal-client.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../src/gateway/testing/test-gateway.ts';
import { waitUntil } from '../src/gateway/testing/wait-until.ts';
import type { TerminalAccess } from '../src/protocol/index.ts';

/**
 * A gateway and a real daemon in this process, the daemon on its own tmux server (a socket in a
 * temp folder, never the user's tmux): what the terminal tests and the terminal benchmark run on.
 */
export class TerminalStack {
  readonly gateway: TestGateway;
  readonly daemon: RunningDaemon;
  readonly viberId: string;
  readonly socketPath: string;
  readonly #dir: string;
  readonly #clients: TerminalClient[] = [];

  private constructor(
    gateway: TestGateway,
    daemon: RunningDaemon,
    viberId: string,
    dir: string,
    socketPath: string,
  ) {
    this.gateway = gateway;
    this.daemon = daemon;
    this.viberId = viberId;
    this.#dir = dir;
    this.socketPath = socketPath;
  }

  static async start(options: { tmuxPath?: string } = {}): Promise<TerminalStack> {
    const gateway = await TestGateway.start();
    const dir = mkdtempSync(join(tmpdir(), 'ov-term-'));
    const socketPath = join(dir, 'tmux.sock');
    const registered = await gateway.gateway.registerViber('terminal viber');
    const daemon = await startDaemon({
      home: resolveHome({ OPENVIBER_HOME: dir }),
      serverUrl: gateway.gateway.wsUrl,
      viberId: registered.id,
      token: registered.token,
      config: {},
      env: {
        PATH: options.tmuxPath ?? process.env.PATH ?? '',
        HOME: dir,
        SHELL: '/bin/bash',
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
      },
      startAgentTask: () => {
        throw new Error('no tasks in terminal tests');
      },
      terminals: { socketPath },
      shutdownGraceMs: 500,
      logger: pino({ level: process.env.OPENVIBER_LOG_LEVEL ?? 'silent' }),
    });
    await daemon.connected();
    const stack = new TerminalStack(gateway, daemon, registered.id, dir, socketPath);
    await waitUntil(
      async () => (await gateway.api('GET', `/api/vibers/${registered.id}`)).json?.presence !== 'offline',
      { what: 'the viber online' },
    );
    return stack;
  }

  async client(access?: TerminalAccess): Promise<TerminalClient> {
    const client = await TerminalClient.connect({
      gatewayUrl: this.gateway.gateway.url,
      token: TEST_OPERATOR_TOKEN,
      record: true,
      ...(access ? { access } : {}),
    });
    this.#clients.push(client);
    return client;
  }

  /** A tmux command on the daemon's own server, as the tests' independent witness. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socketPath, ...args], { encoding: 'utf8' }).trim();
  }

  async cleanup(): Promise<void> {
    for (const client of this.#clients) await client.close();
    await this.daemon.close();
    await stopTmuxServer(this.socketPath);
    await this.gateway.cleanup();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Ends a test's tmux server for certain: `kill-server`, then SIGKILL to the server process if it
 * is still there (a server busy writing to a client can outlive the request).
 */
export async function stopTmuxServer(socketPath: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number(
      execFileSync('tmux', ['-S', socketPath, 'display-message', '-p', '#{pid}'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
    execFileSync('tmux', ['-S', socketPath, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // No server, or it went away on its own.
  }
  if (!pid) return;
  await waitUntil(() => !processAlive(pid), { timeoutMs: 2_000, what: 'the tmux server to exit' }).catch(
    () => {
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  );
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
