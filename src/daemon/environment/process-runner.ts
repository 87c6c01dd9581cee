import { spawn } from 'node:child_process';

export type OutputStream = 'stdout' | 'stderr';

export interface RunOptions {
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Every complete output line, in arrival order per stream. */
  onLine(stream: OutputStream, line: string): void;
  signal?: AbortSignal;
  /** SIGTERM, then SIGKILL after this long (default 2 s). */
  killGraceMs?: number;
  /** Told the process group id as soon as the program started. */
  onSpawn?(pgid: number): void;
}

export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** The program could not be started. */
  spawnError?: string;
}

const MAX_LINE_CHARS = 4000;
/** After the program exits, how long background children may keep its output pipes open. */
const PIPE_GRACE_MS = 2000;

/**
 * Runs a program as the leader of a new process group with a deadline: on timeout or abort the
 * whole group is killed (SIGTERM, then SIGKILL), so a hanging setup script never outlives it.
 * Output arrives line by line; a line longer than 4000 characters is split.
 */
export function runStreaming(options: RunOptions): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = spawn(options.program, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    const kill = (reason: 'timeout' | 'abort') => {
      if (timedOut || aborted || child.pid === undefined) return;
      if (reason === 'timeout') timedOut = true;
      else aborted = true;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), options.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = () => kill('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: RunOutcome) => {
      clearTimeout(timer);
      clearTimeout(pipeTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (!timedOut && !aborted) clearTimeout(killTimer);
      resolve(outcome);
    };
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) emit(options, name, line);
        if (pending.length > MAX_LINE_CHARS) {
          emit(options, name, pending);
          pending = '';
        }
      });
      stream.on('close', () => {
        if (pending) emit(options, name, pending);
        pending = '';
      });
    }
    child.once('error', (error) =>
      finish({ code: null, signal: null, timedOut, aborted, spawnError: error.message }),
    );
    child.once('exit', () => {
      pipeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS);
    });
    child.once('close', (code, signal) => {
      // Whatever the script left running in the background goes with it.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      finish({ code, signal, timedOut, aborted });
    });
    if (options.signal?.aborted) onAbort();
  });
}

function emit(options: RunOptions, stream: OutputStream, raw: string): void {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  for (let start = 0; start < Math.max(line.length, 1); start += MAX_LINE_CHARS) {
    options.onLine(stream, line.slice(start, start + MAX_LINE_CHARS));
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone already.
  }
}
