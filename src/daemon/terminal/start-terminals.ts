import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TASK_TMUX_SOCKET_VARIABLE } from '../../agent/tools/run-in-tmux.ts';
import { ensureDir, type OpenViberHome } from '../../core/home.ts';
import type { Logger } from '../../core/logger.ts';
import type { DaemonMessage } from '../../protocol/index.ts';
import { TerminalBridge } from './terminal-bridge.ts';
import { TmuxRunner } from './tmux-runner.ts';

/** A task's session is `task-<taskId>` (the shell tool's naming, taskSessionName). */
const TASK_SESSION_PREFIX = 'task-';

export interface TerminalOptions {
  /** The tmux bridge (terminal:* requests); default true. */
  enabled?: boolean;
  /** The shell tool types its commands into the task's tmux session; default true. */
  taskSessions?: boolean;
  /** Default: `<home>/daemon/tmux.sock`, one tmux server per daemon home. */
  socketPath?: string;
  tmuxBinary?: string;
  /** Bytes waiting on the gateway link (the WebSocket's bufferedAmount), for the bridge's backpressure. */
  backlogBytes?: () => number;
}

export interface Terminals {
  /** Undefined when disabled: the command router answers terminal:* with `not_supported`. */
  bridge: TerminalBridge | undefined;
  /** The environment tasks run with: the daemon's, plus the task socket when task sessions are on. */
  taskEnv: NodeJS.ProcessEnv;
  /** Detaches every viewer and ends the tasks' sessions; sessions an operator created keep running. */
  close(): Promise<void>;
}

/** Unix socket paths are limited to about 108 bytes; a deep home falls back to the temp folder. */
const MAX_SOCKET_PATH = 100;

export async function startTerminals(
  options: TerminalOptions & {
    home: OpenViberHome;
    viberId: string;
    env: NodeJS.ProcessEnv;
    send(message: DaemonMessage): void;
    /** Binary pane output, when the gateway link negotiated `terminal-binary` (TerminalBridgeOptions). */
    binaryOutput?(): boolean;
    sendBinary?(frame: Uint8Array): void;
    logger: Logger;
  },
): Promise<Terminals> {
  const logger = options.logger.child({ component: 'terminals' });
  if (options.enabled === false)
    return { bridge: undefined, taskEnv: options.env, close: async () => undefined };
  const runner = new TmuxRunner({
    socketPath: options.socketPath ?? defaultSocketPath(options.home, options.viberId),
    env: options.env,
    ...(options.tmuxBinary ? { binary: options.tmuxBinary } : {}),
  });
  // The bridge exists without tmux too: every request then says precisely that tmux is missing.
  const bridge = new TerminalBridge({
    runner,
    send: options.send,
    ...(options.binaryOutput ? { binaryOutput: options.binaryOutput } : {}),
    ...(options.sendBinary ? { sendBinary: options.sendBinary } : {}),
    ...(options.backlogBytes ? { backlogBytes: options.backlogBytes } : {}),
    defaultCwd: ensureDir(options.home.workspace),
    logger,
  });
  const available = await runner.available();
  if (!available)
    logger.warn('tmux not found: terminals answer tmux_missing and tasks run commands without tmux');
  const taskSessions = available && options.taskSessions !== false;
  logger.info({ socketPath: runner.socketPath, taskSessions }, 'terminals ready');
  return {
    bridge,
    taskEnv: taskSessions ? { ...options.env, [TASK_TMUX_SOCKET_VARIABLE]: runner.socketPath } : options.env,
    close: async () => {
      bridge.detachAll();
      if (taskSessions) await killTaskSessions(runner, logger);
    },
  };
}

/** Task sessions live as long as the daemon that ran them; the tmux server exits with its last session. */
async function killTaskSessions(runner: TmuxRunner, logger: Logger): Promise<void> {
  try {
    const names = (await runner.run(['list-sessions', '-F', '#{session_name}'])).split('\n');
    for (const name of names.filter((candidate) => candidate.startsWith(TASK_SESSION_PREFIX))) {
      await runner.run(['kill-session', '-t', `=${name}`]).catch(() => undefined);
    }
  } catch (error) {
    // No server: nothing to end.
    logger.debug({ err: error }, 'no task sessions to end');
  }
}

/** The daemon's own tmux server socket (`viber up` looks there for sessions left when it stops). */
export function defaultSocketPath(home: OpenViberHome, viberId: string): string {
  const path = join(ensureDir(home.daemon), 'tmux.sock');
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path;
  const digest = createHash('sha256').update(`${home.root}\0${viberId}`).digest('hex').slice(0, 16);
  return join(tmpdir(), `openviber-tmux-${digest}.sock`);
}
