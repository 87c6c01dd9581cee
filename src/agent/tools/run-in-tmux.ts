import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupAlive, signalGroup } from './process-group.ts';
import type { CommandOutcome, RunCommandOptions } from './run-command.ts';

/**
 * Set by the daemon when tmux is available (src/daemon/terminal/start-terminals.ts): the socket of
 * its tmux server, on which each task has a session `task-<taskId>` that operators can watch.
 */
export const TASK_TMUX_SOCKET_VARIABLE = 'OPENVIBER_TASK_TMUX_SOCKET';
export const taskSessionName = (taskId: string): string =>
  `task-${taskId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}`;

/** Sessions with a command running now: a second call of the same task runs as a plain process. */
const busySessions = new Set<string>();

/**
 * Runs `bash -c command` in the task's tmux session, where an operator watching the pane sees it
 * typed and sees its output live, with the same contract as runCommand: exact exit code, the whole
 * output (stdout and stderr through one pipe, then `tee` to a file and the pane), stdin closed, the
 * task's exact environment and a process group killed on timeout or stop. Resolves undefined when
 * the pane is not at a prompt (an operator is running something there): the caller runs the command
 * without tmux then.
 */
export async function runInTmux(
  options: RunCommandOptions & { socketPath: string; taskId: string },
): Promise<CommandOutcome | undefined> {
  const session = taskSessionName(options.taskId);
  const lock = `${options.socketPath}\u0000${session}`;
  if (busySessions.has(lock)) return undefined;
  busySessions.add(lock);
  const dir = await mkdtemp(join(tmpdir(), 'ov-run-'));
  try {
    const tmux = (...args: string[]) => runTmux(options.socketPath, options.env, args);
    if (!(await ensureSession(tmux, options.socketPath, session, options.cwd))) return undefined;
    await writeFile(join(dir, 'run.sh'), runnerScript(dir, options), { mode: 0o600 });
    const firstLine = options.command
      .split('\n')[0]!
      .replace(/\p{Cc}/gu, ' ')
      .slice(0, 200);
    const more = options.command.includes('\n') ? ' …' : '';
    // Ctrl-E Ctrl-U clears whatever an operator left half-typed on the prompt.
    await tmux('send-keys', '-t', `=${session}:`, 'C-e', 'C-u');
    await tmux(
      'send-keys',
      '-t',
      `=${session}:`,
      '-l',
      '--',
      ` bash ${shellQuote(join(dir, 'run.sh'))}  # ${firstLine}${more}`,
    );
    await tmux('send-keys', '-t', `=${session}:`, 'Enter');
    const outcome = await waitForRunner(dir, options, () => tmux('send-keys', '-t', `=${session}:`, 'C-c'));
    await copyOutput(join(dir, 'out'), options);
    return outcome;
  } finally {
    busySessions.delete(lock);
    await rm(dir, { recursive: true, force: true });
  }
}

async function ensureSession(
  tmux: (...args: string[]) => Promise<string>,
  socketPath: string,
  session: string,
  cwd: string,
): Promise<boolean> {
  const exists = await tmux('has-session', '-t', `=${session}`).then(
    () => true,
    () => false,
  );
  if (!exists) {
    // A plain bash with a short prompt and no history file: what an operator expects to type in.
    const shell = "env PS1='\\w \\$ ' HISTFILE=/dev/null bash --noprofile --norc";
    await tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '48', '-c', cwd, shell);
    // The session lives no longer than this process, however it ends (a SIGKILLed daemon too):
    // a watchdog inside the tmux server ends it, and the server exits with its last session. When
    // the socket itself is gone (its home was deleted) nothing can reach the server: it ends ($PPID).
    const end = `if [ -S ${shellQuote(socketPath)} ]; then tmux -S ${shellQuote(socketPath)} kill-session -t ${shellQuote(`=${session}`)}; else kill $PPID; fi`;
    await tmux('run-shell', '-b', `while kill -0 ${process.pid} 2>/dev/null; do sleep 2; done; ${end}`);
  }
  // The shell drops what is typed before its prompt; and an operator may be running something.
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const [command, screen] = await Promise.all([
      tmux('display-message', '-p', '-t', `=${session}:`, '#{pane_current_command}'),
      tmux('capture-pane', '-p', '-t', `=${session}:`),
    ]);
    if (command.trim() === 'bash' && screen.trim().length > 0) return true;
    if (command.trim() !== 'bash' && exists) return false;
    await delay(20);
  }
  return false;
}

/** bash script the pane runs: records its pid (its process group), the exit code, and the output. */
function runnerScript(dir: string, options: RunCommandOptions): string {
  const file = (name: string) => shellQuote(join(dir, name));
  const env = Object.entries(options.env)
    .filter(([key, value]) => value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
    .map(([key, value]) => shellQuote(`${key}=${value}`));
  const graceTicks = Math.max(1, Math.ceil(options.pipeGraceMs / 50));
  return [
    // Ctrl-C in the pane interrupts the command, not this script: its exit code is still recorded.
    "trap ':' INT",
    `printf '%s' "$$" > ${file('pid')}`,
    `cd -- ${shellQuote(options.cwd)} || { printf 126 > ${file('code')}; : > ${file('done')}; exit 126; }`,
    // The process substitution records tee's pid ($BASHPID, then exec) so the grace below can watch it.
    `env -i ${env.join(' ')} ${(options.wrapper ?? []).map(shellQuote).join(' ')} bash -c ${shellQuote(options.command)} < /dev/null > >(printf '%s' "$BASHPID" > ${file('tee.pid')}; exec tee -- ${file('out')}) 2>&1`,
    'code=$?',
    `for _ in $(seq 50); do [ -s ${file('tee.pid')} ] && break; sleep 0.01; done`,
    `tee_pid=$(cat ${file('tee.pid')} 2>/dev/null)`,
    `printf '%s' "$code" > ${file('code.tmp')} && mv -f -- ${file('code.tmp')} ${file('code')}`,
    // Background processes may still hold the pipe: wait a little, then stop reading, like runCommand.
    // Running, not a zombie waiting to be reaped: `kill -0` alone would say yes to both.
    `running() { local state; state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ -n $state && $state != Z* ]]; }`,
    `for _ in $(seq ${graceTicks}); do running "$tee_pid" || break; sleep 0.05; done`,
    `if [ -n "$tee_pid" ] && running "$tee_pid"; then : > ${file('detached')}; kill "$tee_pid" 2>/dev/null; fi`,
    'wait 2>/dev/null',
    `: > ${file('done')}`,
    '',
  ].join('\n');
}

async function waitForRunner(
  dir: string,
  options: RunCommandOptions,
  interrupt: () => Promise<unknown>,
): Promise<CommandOutcome> {
  const started = Date.now();
  let pid = -1;
  let stopped: 'timeout' | 'abort' | undefined;
  let stoppedAt = 0;
  let killedAt = 0;
  let escalated = false;
  for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
    if (pid === -1) pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => '-1')) || -1;
    if (await exists(join(dir, 'done'))) break;
    if (!stopped && (options.signal.aborted || Date.now() - started > options.timeoutMs)) {
      stopped = options.signal.aborted ? 'abort' : 'timeout';
      stoppedAt = Date.now();
      // Not started yet: Ctrl-C cancels the typed line; if it starts anyway, it is killed below.
      if (pid === -1) await interrupt().catch(() => undefined);
    }
    if (stopped && pid > 0 && killedAt === 0) {
      killedAt = Date.now();
      signalGroup(pid, 'SIGTERM');
    }
    if (killedAt > 0 && !escalated && Date.now() - killedAt > options.killGraceMs && groupAlive(pid)) {
      escalated = true;
      signalGroup(pid, 'SIGKILL');
    }
    // The runner itself ended (the stop above, an operator, or the session closing).
    if (pid > 0 && !groupAlive(pid)) break;
    if (stopped && pid === -1 && Date.now() - stoppedAt > 2_000) break;
    if (stopped && Date.now() - stoppedAt > options.killGraceMs + 5_000) break;
    await delay(wait);
  }
  const code = await readFile(join(dir, 'code'), 'utf8').catch(() => '');
  const finished = code !== '' && !stopped;
  return {
    pid,
    exitCode: finished ? Number(code) : null,
    signal: finished ? null : escalated ? 'SIGKILL' : 'SIGTERM',
    timedOut: stopped === 'timeout',
    aborted: stopped === 'abort',
    pipesDetached: await exists(join(dir, 'detached')),
  };
}

/** Streams the output file into the spool, honouring its backpressure. */
async function copyOutput(path: string, options: RunCommandOptions): Promise<void> {
  if (!(await exists(path))) return;
  await new Promise<void>((resolve) => {
    const stream = createReadStream(path);
    stream.on('data', (chunk) => {
      if (options.spool.write(chunk as Buffer)) return;
      stream.pause();
      options.spool.onDrain(() => stream.resume());
    });
    stream.on('end', () => resolve());
    stream.on('error', () => resolve());
  });
}

function runTmux(socketPath: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'tmux',
      ['-S', socketPath, ...args],
      { env, timeout: 10_000, encoding: 'utf8' },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
