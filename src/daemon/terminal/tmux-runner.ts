import { execFile } from 'node:child_process';
import { withoutCredentials } from '../../agent/credentials.ts';
import { TerminalError, tmuxFailure } from './terminal-error.ts';

const COMMAND_TIMEOUT_MS = 10_000;

export interface TmuxRunnerOptions {
  /** The daemon's own tmux server socket: tests and the operator's own tmux are never touched. */
  socketPath: string;
  env: NodeJS.ProcessEnv;
  /** The tmux executable (default `tmux`, looked up on env.PATH). */
  binary?: string;
}

/**
 * Runs one-shot tmux commands against the daemon's socket. Missing tmux becomes `tmux_missing`,
 * tmux's own complaints become `not_found` or `tmux_failed`; nothing here throws anything else.
 */
export class TmuxRunner {
  readonly socketPath: string;
  readonly binary: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(options: TmuxRunnerOptions) {
    this.socketPath = options.socketPath;
    this.binary = options.binary ?? 'tmux';
    this.env = serverEnvironment(options.env);
  }

  /** Arguments every tmux invocation starts with. */
  get baseArgs(): string[] {
    return ['-S', this.socketPath];
  }

  run(args: string[], what = `tmux ${args[0] ?? ''}`): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        [...this.baseArgs, ...args],
        { env: this.env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(missingTmux());
          if (error.killed)
            return reject(
              new TerminalError(
                'tmux_failed',
                `${what}: tmux did not answer within ${COMMAND_TIMEOUT_MS} ms`,
              ),
            );
          reject(tmuxFailure(what, stderr || stdout || error.message));
        },
      );
    });
  }

  /** True when a tmux binary answers `-V`. */
  async available(): Promise<boolean> {
    return new Promise((resolve) => {
      execFile(this.binary, ['-V'], { env: this.env, timeout: COMMAND_TIMEOUT_MS }, (error) =>
        resolve(!error),
      );
    });
  }
}

export function missingTmux(): TerminalError {
  return new TerminalError(
    'tmux_missing',
    'tmux is not installed on this viber (or not on its PATH); install tmux to use terminals',
  );
}

/** The daemon's environment without credential-like variables and without tmux's own (a pane is
 * a shell an operator types in, inside the daemon's tmux server, not the user's). */
export function serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { TMUX: _tmux, TMUX_PANE: _pane, ...rest } = withoutCredentials(env);
  return rest;
}

/**
 * The tmux form of a viewer's target. A session name gets `=` so tmux matches it exactly (plain
 * `work` would also match a session called `workshop`), and a bare session a `:` (a lone `=work`
 * is not resolved as a pane).
 */
export function tmuxTarget(target: string): string {
  if (target.startsWith('%')) return target;
  return target.includes(':') ? `=${target}` : `=${target}:`;
}
