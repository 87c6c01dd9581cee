import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TerminalServerMessage } from '../src/protocol/index.ts';
import { TerminalStack } from '../test/support/in-process/terminal-stack.ts';
import { waitFor } from '../test/support/wait.ts';
import type { BenchRow } from './bench-row.ts';
import { median, round, summarize } from './stats.ts';

/**
 * Terminal benchmarks on a real tmux, a real daemon and the gateway in this process, one viewer on
 * the terminal WebSocket (loopback):
 * - throughput: `cat` of a large file in a pane; bytes per second at the viewer, beside the rate at
 *   which tmux itself drains the same `cat` in a pane nobody watches (tmux's own rate), and the rate
 *   of a pane whose only watcher is a bare `tmux -C` writing to /dev/null (the most tmux's control
 *   mode, which the daemon reads panes through, gives anyone). Each is measured `rounds` times,
 *   interleaved, and the medians are reported: the machine's load moves them all together.
 * - latency: one keystroke typed at the viewer until its echo comes back (a pane running `cat`).
 */
export interface TerminalBenchOptions {
  catBytes: number;
  keystrokes: number;
  timeoutMs: number;
  /** Throughput rounds (default 3). */
  rounds?: number;
}

export const DEFAULT_TERMINAL_BENCH: TerminalBenchOptions = {
  catBytes: 16 * 1024 * 1024,
  keystrokes: 300,
  timeoutMs: 120_000,
  rounds: 3,
};

/** The two terminal rows of `npm run bench`'s table. */
export async function measureTerminalRows(options: Partial<TerminalBenchOptions> = {}): Promise<BenchRow[]> {
  const settings = { ...DEFAULT_TERMINAL_BENCH, ...options };
  const { throughput, keystrokeEchoMs: echo } = await measureTerminals(settings);
  const mb = (bytesPerSecond: number) => round(bytesPerSecond / 1e6, 1);
  const size = `${round(settings.catBytes / (1024 * 1024), 1)} MiB`;
  return [
    {
      figure: `terminal: ${size} \`cat\` at the viewer`,
      unit: 'MB/s',
      bare: mb(throughput.tmuxOwnBytesPerSecond),
      openviber: mb(throughput.viewerBytesPerSecond),
      goal: '>= 0.8x tmux',
      note:
        `bare: the same cat in a pane nobody watches; tmux -C alone (to /dev/null): ` +
        `${mb(throughput.controlModeBytesPerSecond)} MB/s; median of ${throughput.rounds}`,
    },
    {
      figure: 'terminal: keystroke echo p99',
      unit: 'ms',
      bare: null,
      openviber: round(echo.p99, 2),
      goal: 'no worse than before',
      note: `p50 ${round(echo.p50, 2)} ms; ${echo.samples} keystrokes`,
    },
  ];
}

export async function measureTerminals(options: TerminalBenchOptions) {
  const stack = await TerminalStack.start();
  let control: ChildProcess | undefined;
  const file = join(tmpdir(), `openviber-bench-cat-${process.pid}.txt`);
  try {
    const client = await stack.client();
    const viberId = stack.viberId;
    writeFileSync(file, benchText(options.catBytes));
    for (const session of ['watched', 'unwatched', 'control', 'echo']) {
      await client.request({ type: 'terminal:create', viberId, session, cols: 120, rows: 40 });
      await waitFor(() => stack.tmux('capture-pane', '-p', '-t', `=${session}:`).length > 0, {
        description: `${session} prompt`,
      });
    }
    // The ceiling of control mode: a bare control client whose output goes straight to /dev/null.
    control = spawn('tmux', ['-S', stack.socketPath, '-C', 'attach-session', '-t', '=control'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });

    client.send({ type: 'terminal:attach', viberId, target: 'watched' });
    await client.waitFor((message) => message.type === 'terminal:screen' && message.target === 'watched');

    const tmuxOwn: number[] = [];
    const controlMode: number[] = [];
    const viewer: number[] = [];
    const cpuMs: number[] = [];
    let viewerBytes = 0;
    const rounds = options.rounds ?? 1;
    for (let round = 0; round < rounds; round += 1) {
      // tmux's own rate: the same cat, timed inside the pane, with no control client attached.
      tmuxOwn.push(options.catBytes / (await timedCat(stack, 'unwatched', file, options.timeoutMs)));
      controlMode.push(options.catBytes / (await timedCat(stack, 'control', file, options.timeoutMs)));
      const cpuBefore = process.cpuUsage();
      const seen = await viewerCat(client, viberId, file, round, options.timeoutMs);
      const cpu = process.cpuUsage(cpuBefore);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      viewer.push(options.catBytes / seen.seconds);
      viewerBytes = seen.bytes;
    }

    const latency = await keystrokeLatency(client, viberId, options);
    return {
      throughput: {
        description: `cat of ${options.catBytes} bytes in a 120x40 pane, median of ${rounds}; rates count the file's bytes`,
        rounds,
        viewerBytesPerSecond: Math.round(median(viewer)),
        viewerBytes,
        tmuxOwnBytesPerSecond: Math.round(median(tmuxOwn)),
        controlModeBytesPerSecond: Math.round(median(controlMode)),
        /** CPU of this process (daemon, gateway and viewer alike) per MiB of the cat at the viewer. */
        processCpuMsPerMiB: round(median(cpuMs) / (options.catBytes / (1024 * 1024)), 2),
        samples: {
          viewer: viewer.map(Math.round),
          tmuxOwn: tmuxOwn.map(Math.round),
          controlMode: controlMode.map(Math.round),
        },
      },
      keystrokeEchoMs: {
        description:
          'terminal:input of one character at the viewer -> its echo in terminal:output (pane running cat)',
        ...latency,
      },
    };
  } finally {
    control?.kill();
    rmSync(file, { force: true });
    await stack.cleanup();
  }
}

/** The cat at the viewer: from the keystroke that starts it to its end marker arriving. */
async function viewerCat(
  client: Awaited<ReturnType<TerminalStack['client']>>,
  viberId: string,
  file: string,
  round: number,
  timeoutMs: number,
): Promise<{ seconds: number; bytes: number }> {
  const marker = `cat-done-${round}-42`;
  let bytes = 0;
  let ended = 0;
  let tail = '';
  const stopCounting = client.onMessage((message: TerminalServerMessage) => {
    if (message.type !== 'terminal:output' || message.target !== 'watched' || ended) return;
    bytes += Buffer.byteLength(message.data);
    tail = (tail + message.data).slice(-64);
    if (tail.includes(marker)) ended = performance.now();
  });
  const started = performance.now();
  client.send({
    type: 'terminal:input',
    viberId,
    target: 'watched',
    // The marker is computed by the shell, so the typed command's echo does not contain it.
    keys: `cat ${file}; clear; echo cat-done-${round}-$((40+2))\r`,
  });
  await waitFor(() => ended > 0, { timeoutMs, intervalMs: 5, description: 'the cat at the viewer' });
  stopCounting();
  return { seconds: (ended - started) / 1000, bytes };
}

/** Runs `cat file` in a pane and returns how long it took, as the pane's own shell measured it. */
async function timedCat(
  stack: TerminalStack,
  session: string,
  file: string,
  timeoutMs: number,
): Promise<number> {
  const result = join(tmpdir(), `openviber-bench-tmux-${process.pid}.txt`);
  writeFileSync(result, '');
  const command = `s=$(date +%s%N); cat ${file}; e=$(date +%s%N); clear; echo $((e-s)) > ${result}`;
  stack.tmux('send-keys', '-t', `=${session}:`, '-l', command);
  stack.tmux('send-keys', '-t', `=${session}:`, 'Enter');
  let nanoseconds = 0;
  await waitFor(
    () => {
      nanoseconds = Number(readFileSync(result, 'utf8').trim() || 0);
      return nanoseconds > 0;
    },
    { timeoutMs, intervalMs: 50, description: "tmux's own cat" },
  );
  rmSync(result, { force: true });
  return nanoseconds / 1e9;
}

async function keystrokeLatency(
  client: Awaited<ReturnType<TerminalStack['client']>>,
  viberId: string,
  options: TerminalBenchOptions,
) {
  client.send({ type: 'terminal:input', viberId, target: 'echo', keys: 'cat\r' });
  client.send({ type: 'terminal:attach', viberId, target: 'echo' });
  await client.waitFor((message) => message.type === 'terminal:screen' && message.target === 'echo');
  await new Promise((resolve) => setTimeout(resolve, 200));
  let seen = '';
  let key = '';
  let sent = 0;
  let echoMs = -1;
  // Timed where the echo arrives, not where a poll notices it.
  const stopListening = client.onMessage((message: TerminalServerMessage) => {
    if (message.type !== 'terminal:output' || message.target !== 'echo' || echoMs >= 0 || !key) return;
    seen += message.data;
    if (seen.includes(key)) echoMs = performance.now() - sent;
  });
  const samples: number[] = [];
  for (let index = 0; index < options.keystrokes; index += 1) {
    if (index > 0 && index % 60 === 0) {
      // Ctrl-U keeps cat's line short; its echo is not measured.
      key = '';
      client.send({ type: 'terminal:input', viberId, target: 'echo', keys: '\x15' });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    key = String.fromCharCode(97 + (index % 26));
    seen = '';
    echoMs = -1;
    sent = performance.now();
    client.send({ type: 'terminal:input', viberId, target: 'echo', keys: key });
    await waitFor(() => echoMs >= 0, { timeoutMs: options.timeoutMs, intervalMs: 0, description: 'an echo' });
    samples.push(echoMs);
  }
  stopListening();
  return summarize(samples);
}

/** Lines of printable text, like a log file. */
function benchText(bytes: number): string {
  const line = `${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(2)} openviber terminal benchmark line\n`;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}
