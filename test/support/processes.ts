import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real `viber` processes for multi-process tests: output captured in memory (and in files under
 * test-output/processes for debugging), lines awaited with a deadline, kills that wait for the
 * exit, and a registry so every process a test started is killed afterwards.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const VIBER_BIN = join(REPO_ROOT, 'bin/viber.js');
const LOG_DIR = join(REPO_ROOT, 'test-output/processes');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  readonly exitInfo: ExitInfo | undefined;
  /** Where stdout and stderr are copied. */
  readonly logFiles: { stdout: string; stderr: string };
  /** Every complete stdout line that matches, in order. */
  lines(pattern: RegExp): RegExpMatchArray[];
  /**
   * Waits for the `occurrence`-th stdout line (1-based, default 1) matching `pattern`. Rejects at
   * the deadline or as soon as the process exits, quoting the end of its stderr.
   */
  waitForLine(
    pattern: RegExp,
    options?: { timeoutMs?: number; occurrence?: number },
  ): Promise<RegExpMatchArray>;
  /** Sends the signal and waits for the exit; SIGTERM escalates to SIGKILL after `graceMs`. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
}

export interface SpawnOptions {
  /** Names the process in errors and log file names. */
  name: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to the process's standard input, which is then closed (default: no stdin). */
  stdin?: string;
}

const running = new Set<ManagedProcess>();
let counter = 0;

/** Environment for a child: the parent's, less anything that could leak a real key or home in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^OPENVIBER_|_API_KEY$|^VITEST|^NODE_OPTIONS$/.test(key)) continue;
    env[key] = value;
  }
  env.OPENVIBER_LOG_FORMAT = 'json';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts `viber <args>` on this Node (Node 24 under npm and vitest). */
export function spawnViber(args: string[], options: SpawnOptions): ManagedProcess {
  return spawnNode([VIBER_BIN, ...args], options);
}

/** Starts `node <args>` on this Node, managed like a viber process. */
export function spawnNode(args: string[], options: SpawnOptions): ManagedProcess {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv(options.env),
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  child.stdin?.end(options.stdin);
  mkdirSync(LOG_DIR, { recursive: true });
  const base = join(
    LOG_DIR,
    `${new Date().toISOString().replace(/[:.]/g, '-')}-${++counter}-${options.name}`,
  );
  const logFiles = { stdout: `${base}.stdout.log`, stderr: `${base}.stderr.log` };
  const stdoutFile = createWriteStream(logFiles.stdout);
  const stderrFile = createWriteStream(logFiles.stderr);
  stdoutFile.write(`$ node ${args.join(' ')}\n`);

  let stdout = '';
  let stderr = '';
  let exitInfo: ExitInfo | undefined;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    stdoutFile.write(text);
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    stderrFile.write(text);
  });
  const exited = new Promise<ExitInfo>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      running.delete(managed);
      resolveExit(exitInfo);
      notify();
    });
  });
  // Close the log files only after the pipes are drained, so the last lines land in them.
  child.once('close', () => {
    endStream(stdoutFile);
    endStream(stderrFile);
  });

  const lines = (pattern: RegExp): RegExpMatchArray[] =>
    stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => line.match(pattern))
      .filter((match): match is RegExpMatchArray => match !== null);

  const managed: ManagedProcess = {
    name: options.name,
    pid: child.pid,
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    get exitInfo() {
      return exitInfo;
    },
    logFiles,
    lines,
    waitForLine(pattern, { timeoutMs = 30_000, occurrence = 1 } = {}) {
      return new Promise((resolveLine, reject) => {
        const check = () => {
          const match = lines(pattern)[occurrence - 1];
          if (match) {
            done();
            resolveLine(match);
          } else if (exitInfo) {
            done();
            reject(
              new Error(
                `${options.name} exited (${describeExit(exitInfo)}) before printing ${pattern}${tail(stdout, stderr)}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${options.name} printed no line matching ${pattern} (#${occurrence}) within ${timeoutMs} ms${tail(stdout, stderr)}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL', graceMs = 10_000) {
      if (exitInfo) return exitInfo;
      child.kill(signal);
      if (signal === 'SIGKILL') return exited;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(managed);
  return managed;
}

/** Kills (SIGKILL) every process still running that this module started; call it in afterEach. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((managed) => managed.kill('SIGKILL')));
}

function endStream(stream: WriteStream): void {
  if (!stream.closed) stream.end();
}

function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

function tail(stdout: string, stderr: string): string {
  const last = (text: string) => text.trimEnd().split('\n').slice(-15).join('\n');
  return `\n--- stdout (end) ---\n${last(stdout)}\n--- stderr (end) ---\n${last(stderr)}`;
}

// A test runner that dies still takes its children with it.
process.once('exit', () => {
  for (const managed of running) managed.child.kill('SIGKILL');
});
