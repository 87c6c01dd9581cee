import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { styleText } from 'node:util';

const VIBER_BIN = fileURLToPath(new URL('../../bin/viber.js', import.meta.url));

/**
 * Node flags of the daemon `viber up` runs. Under many concurrent tasks V8 let its young generation
 * grow to 128 MB; capped at 16 MB semi-spaces the daemon with 200 running tasks peaked about 100 MB
 * lower at the same CPU and latency (`bench/concurrent-tasks.ts`, docs/performance.md).
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=16'];

/**
 * The local daemon of `viber up`, as a child process: a crash in a task never takes the gateway
 * down, and the daemon is restarted with a growing delay if it exits on its own.
 */
export class DaemonProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private readonly args: string[];
  private readonly onConnected: () => void;
  private readonly env: Record<string, string | undefined> | undefined;

  /**
   * `env` sets (or, with undefined, removes) variables of the daemon's environment; without it
   * the daemon logs as a terminal would show them (pretty when stderr is one).
   */
  constructor(args: string[], onConnected: () => void, env?: Record<string, string | undefined>) {
    this.args = args;
    this.onConnected = onConnected;
    this.env = env;
  }

  start(): void {
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, VIBER_BIN, 'start', ...this.args], {
      env: this.env
        ? withOverrides(daemonEnvironment(process.env), this.env)
        : {
            ...daemonEnvironment(process.env),
            ...(process.stderr.isTTY && !process.env.OPENVIBER_LOG_FORMAT
              ? { OPENVIBER_LOG_FORMAT: 'pretty' }
              : {}),
          },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const prefix = styleText('dim', 'daemon │ ');
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('connected to ')) {
        this.restarts = 0;
        this.onConnected();
      }
      process.stdout.write(`${prefix}${line}\n`);
    });
    // Blank lines (the daemon's own spacing) would only be a lone prefix here.
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.trim()) process.stderr.write(`${prefix}${line}\n`);
    });
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      const delay = Math.min(30_000, 1000 * 2 ** this.restarts++);
      process.stderr.write(`${prefix}exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000}s\n`);
      setTimeout(() => this.stopping || this.start(), delay).unref();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** The gateway's own secrets stay in the gateway's process: the daemon never needs them. */
const GATEWAY_ONLY = ['OPENVIBER_MASTER_KEY', 'OPENVIBER_OPERATOR_TOKEN'];

function daemonEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !GATEWAY_ONLY.includes(key)));
}

function withOverrides(
  env: NodeJS.ProcessEnv,
  overrides: Record<string, string | undefined>,
): NodeJS.ProcessEnv {
  const result = { ...env };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}
