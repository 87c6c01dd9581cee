import { execFileSync } from 'node:child_process';
import { waitFor } from './wait.ts';

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
  await waitFor(() => !processAlive(pid), { timeoutMs: 2_000, description: 'the tmux server to exit' }).catch(
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
