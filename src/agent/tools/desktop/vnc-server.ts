import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The VNC server behind the live desktop view (`viber start --desktop --vnc`). */
export interface VncServer {
  /** The Unix socket it listens on (mode 0600, in a 0700 folder of its own). */
  socketPath: string;
  pid: number;
  /** Stops the server (SIGTERM, SIGKILL after 2 s) and removes its folder. */
  stop(): Promise<void>;
}

/** The program and the Debian package that has it. */
export const VNC_SERVER_PROGRAM = 'X0tigervnc';
export const VNC_SERVER_PACKAGE = 'tigervnc-scraping-server';
const START_TIMEOUT_MS = 10_000;

/**
 * Starts TigerVNC's `X0tigervnc` (what the `x0vncserver` script runs, in the foreground) on an X display, listening on a Unix socket only this user can
 * open and on no TCP port (`-rfbport -1`). Its security type is None: whoever can open the socket
 * is this user, and the gateway authenticates every viewer before it relays a byte
 * (docs/decisions.md). The socket's folder is under the system temp folder because a Unix socket's
 * path is limited to 107 bytes, which a deep OPENVIBER_HOME would pass.
 */
export function startVncServer(display: string): Promise<VncServer> {
  const dir = mkdtempSync(join(tmpdir(), 'openviber-vnc-'));
  const socketPath = join(dir, 'vnc.sock');
  return new Promise((resolve, reject) => {
    const child = spawn(
      VNC_SERVER_PROGRAM,
      [
        ...['-display', display, '-rfbunixpath', socketPath, '-rfbunixmode', '0600'],
        ...['-rfbport', '-1', '-SecurityTypes', 'None', '-AlwaysShared=1', '-localhost=1'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    let settled = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const cleanUp = () => rmSync(dir, { recursive: true, force: true });
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      child.kill('SIGKILL');
      cleanUp();
      reject(new Error(message));
    };
    const timer = setTimeout(
      () => fail(`${VNC_SERVER_PROGRAM} did not listen within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? `${VNC_SERVER_PROGRAM} is not installed (Debian: apt-get install ${VNC_SERVER_PACKAGE})`
          : `${VNC_SERVER_PROGRAM} could not start: ${error.message}`,
      ),
    );
    child.once('exit', (code, signal) =>
      fail(
        `${VNC_SERVER_PROGRAM} exited (${signal ?? `code ${code}`}) before it listened: ${lastLine(stderr)}`,
      ),
    );
    // The server says nothing machine-readable when it listens; the socket appearing is the sign.
    const poll = setInterval(() => {
      if (settled || !existsSync(socketPath)) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        socketPath,
        pid: child.pid ?? 0,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
            await exited;
            clearTimeout(force);
          }
          cleanUp();
        },
      });
    }, 25);
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
