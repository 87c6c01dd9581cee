import { spawn } from 'node:child_process';

/** A virtual X server this process started (`viber start --desktop` on a machine with no DISPLAY). */
export interface VirtualDisplay {
  /** `:N`, a display number that was free. */
  display: string;
  pid: number;
  /** Stops the server (SIGTERM, SIGKILL after 2 s); resolves when it has exited. */
  stop(): Promise<void>;
}

export const DEFAULT_SCREEN = '1280x800x24';
const START_TIMEOUT_MS = 15_000;

/**
 * Starts `Xvfb` on a free display number. `-displayfd` makes the server pick the number itself
 * and write it to a pipe once it accepts connections, so there is no race with another server
 * choosing the same number and no polling for the socket. `-noreset`: by default the server resets
 * when its last client disconnects, and a tool connecting during the reset is refused.
 */
export function startXvfb(screen = DEFAULT_SCREEN): Promise<VirtualDisplay> {
  return new Promise((resolve, reject) => {
    const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', screen, '-nolisten', 'tcp', '-noreset'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let announced = '';
    let settled = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(message));
    };
    const timer = setTimeout(
      () => fail(`Xvfb did not start within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? 'Xvfb is not installed' : `Xvfb could not start: ${error.message}`),
    );
    child.once('exit', (code, signal) =>
      fail(
        `Xvfb exited (${signal ?? `code ${code}`}) before it was ready: ${stderr.trim().split('\n').pop() ?? ''}`,
      ),
    );
    const displayPipe = child.stdio[3] as NodeJS.ReadableStream;
    displayPipe.on('data', (chunk: Buffer) => {
      announced += chunk.toString('utf8');
      if (!announced.includes('\n') || settled) return;
      settled = true;
      clearTimeout(timer);
      const pid = child.pid ?? 0;
      resolve({
        display: `:${announced.trim()}`,
        pid,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
          await exited;
          clearTimeout(force);
        },
      });
    });
  });
}
