import { spawn } from 'node:child_process';
import type { OutputSpool } from './output-spool.ts';
import { killGroup } from './process-group.ts';

export interface RunCommandOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Runs `wrapper... bash -c command` (e.g. `unshare -n`); it must exec bash in place. */
  wrapper?: string[];
  timeoutMs: number;
  signal: AbortSignal;
  /** Receives stdout and stderr interleaved, in arrival order. */
  spool: OutputSpool;
  killGraceMs: number;
  /** After bash exits, how long to wait for background children to release the output pipes. */
  pipeGraceMs: number;
}

export interface CommandOutcome {
  /** Also the process group id. */
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** bash exited but processes it started still held the output pipes; we stopped reading. */
  pipesDetached: boolean;
}

/**
 * Runs `bash -c command` as the leader of a new process group, so a timeout or an abort kills
 * the whole tree (SIGTERM, then SIGKILL after a grace period), not just bash.
 */
export function runCommand(options: RunCommandOptions): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = [...(options.wrapper ?? []), 'bash', '-c', options.command];
    const child = spawn(program!, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      // No stdin: a command that waits for input gets EOF instead of hanging the task.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let aborted = false;
    let killing = false;
    let pipesDetached = false;
    let pipeTimer: NodeJS.Timeout | undefined;

    const stop = (reason: 'timeout' | 'abort') => {
      if (killing || child.pid === undefined) return;
      killing = true;
      if (reason === 'timeout') timedOut = true;
      else aborted = true;
      killGroup(child.pid, options.killGraceMs).catch(() => undefined);
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = () => stop('abort');
    options.signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      clearTimeout(pipeTimer);
      options.signal.removeEventListener('abort', onAbort);
    };

    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        if (options.spool.write(chunk)) return;
        stream.pause();
        options.spool.onDrain(() => stream.resume());
      });
    }
    child.once('error', (error) => {
      cleanup();
      reject(error);
    });
    child.once('exit', () => {
      pipeTimer = setTimeout(() => {
        pipesDetached = true;
        child.stdout.destroy();
        child.stderr.destroy();
      }, options.pipeGraceMs);
    });
    // 'close' comes after the exit and after both pipes closed (or were destroyed above).
    child.once('close', (exitCode, signal) => {
      cleanup();
      resolve({ pid: child.pid ?? -1, exitCode, signal, timedOut, aborted, pipesDetached });
    });
    if (options.signal.aborted) onAbort();
  });
}
