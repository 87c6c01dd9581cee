import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { resolveHome } from '../../../src/core/home.ts';
import { type RunningDaemon, startDaemon } from '../../../src/daemon/index.ts';
import type { TerminalAccess, TerminalOutputFormat } from '../../../src/protocol/index.ts';
import { makeTempDir, removeTempDir } from '../temp-dirs.ts';
import { TerminalViewer } from '../terminal-viewer.ts';
import { stopTmuxServer } from '../tmux.ts';
import { waitFor } from '../wait.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from './test-gateway.ts';

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
  readonly #viewers: TerminalViewer[] = [];

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
    const dir = makeTempDir('term');
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
    await waitFor(
      async () =>
        (await gateway.client.call('vibers.get', { params: { id: registered.id } })).presence !== 'offline',
      { description: 'the viber online' },
    );
    return stack;
  }

  /** A viewer on the gateway's terminal socket (binary output unless `output` says json), closed by `cleanup`. */
  async client(access?: TerminalAccess, output?: TerminalOutputFormat): Promise<TerminalViewer> {
    const viewer = await TerminalViewer.connect(
      this.gateway.gateway.url,
      TEST_OPERATOR_TOKEN,
      access,
      output,
    );
    this.#viewers.push(viewer);
    return viewer;
  }

  /** A tmux command on the daemon's own server, as the tests' independent witness. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socketPath, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  }

  async cleanup(): Promise<void> {
    for (const viewer of this.#viewers) await viewer.close();
    await this.daemon.close();
    await stopTmuxServer(this.socketPath);
    await this.gateway.cleanup();
    removeTempDir(this.#dir);
  }
}
