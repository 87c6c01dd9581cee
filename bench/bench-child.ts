import { type ChildProcess, spawn } from 'node:child_process';
import { writeHeapSnapshot } from 'node:v8';
import { cleanEnv } from '../test/support/processes.ts';

/**
 * A server under measurement in its own process (the gateway, or the bare relay beside it), with
 * an IPC channel: `probe` answers its CPU time so far and, after a full collection, its memory,
 * so a figure counts live memory and the server's own CPU, not the benchmark's.
 */

export interface Probe {
  /** User + system CPU time of the process so far, in microseconds. */
  cpuMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface BenchChild {
  url: string;
  pid: number;
  probe(options?: { collect?: boolean; heapSnapshot?: string }): Promise<Probe>;
  /** Ends the child: it exits on its own when IPC closes (writing a --cpu-prof profile), else is killed. */
  kill(): void;
}

function stop(child: ChildProcess): void {
  if (child.exitCode !== null) return;
  child.disconnect();
  setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
}

/** The IPC side, for the child's own module: answers `{ probe, collect }` messages. */
export function answerProbes(): void {
  process.on('message', (message: { probe?: boolean; collect?: boolean; heapSnapshot?: string }) => {
    // A heap snapshot for finding what a connection holds (`writeHeapSnapshot`), answered as a probe.
    if (message?.heapSnapshot) writeHeapSnapshot(message.heapSnapshot);
    if (!message?.probe) return;
    const collect = (globalThis as { gc?: () => void }).gc;
    if (message.collect && collect) {
      collect();
      collect();
    }
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    process.send?.({
      cpuMicros: cpu.user + cpu.system,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    } satisfies Probe);
  });
  process.on('disconnect', () => process.exit(0));
}

/** Starts `script` with --expose-gc and IPC; resolves once it printed `listening on <url>`. */
export function startBenchChild(
  script: string,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<BenchChild> {
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', ...execArgv, script], {
    env: cleanEnv({ OPENVIBER_LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  let pending: ((probe: Probe) => void) | undefined;
  child.on('message', (message) => pending?.(message as Probe));
  const probe = (options: { collect?: boolean; heapSnapshot?: string } = {}) =>
    new Promise<Probe>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no probe answer from ${script}`)), 30_000);
      pending = (answer) => {
        clearTimeout(timer);
        pending = undefined;
        resolve(answer);
      };
      child.send({ probe: true, collect: options.collect ?? false, heapSnapshot: options.heapSnapshot });
    });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: match[1]!, pid: child.pid!, probe, kill: () => stop(child) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited ${code}: ${stderr}`));
    });
  });
}
