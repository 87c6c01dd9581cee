import { spawn } from 'node:child_process';

export interface CheckOutcome {
  code: number | null;
  output: string;
  timedOut: boolean;
  /** The program could not be started (not installed, for example). */
  spawnError?: string;
}

/** Runs a short check program (bash -n, git ls-remote) with a deadline; output is capped. */
export function runCheck(
  program: string,
  args: string[],
  options: { input?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: true,
    });
    let output = '';
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      if (output.length < 8000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output, timedOut, spawnError: error.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.slice(0, 8000), timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
