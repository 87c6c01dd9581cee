import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TerminalServerMessage } from '../src/protocol/index.ts';
import { TerminalStack } from '../test/support/in-process/terminal-stack.ts';
import { waitFor } from '../test/support/wait.ts';
import { round, summarize } from './stats.ts';

/**
 * Terminal benchmarks on a real tmux, a real daemon and the gateway in this process, one viewer on
 * the terminal WebSocket (loopback):
 * - throughput: `cat` of a large file in a pane; bytes per second at the viewer, beside the rate at
 *   which tmux itself drains the same `cat` in a pane nobody watches (tmux's own rate).
 * - latency: one keystroke typed at the viewer until its echo comes back (a pane running `cat`).
 */
export interface TerminalBenchOptions {
  catBytes: number;
  keystrokes: number;
  timeoutMs: number;
}

export async function measureTerminals(options: TerminalBenchOptions) {
  const stack = await TerminalStack.start();
  try {
    const client = await stack.client();
    const viberId = stack.viberId;
    const file = join(tmpdir(), `openviber-bench-cat-${process.pid}.txt`);
    writeFileSync(file, benchText(options.catBytes));
    for (const session of ['watched', 'unwatched', 'echo']) {
      await client.request({ type: 'terminal:create', viberId, session, cols: 120, rows: 40 });
      await waitFor(() => stack.tmux('capture-pane', '-p', '-t', `=${session}:`).length > 0, {
        description: `${session} prompt`,
      });
    }

    // tmux's own rate: the same cat, timed inside the pane, with no control client attached.
    const tmuxSeconds = await timedCat(stack, 'unwatched', file, options.timeoutMs);

    // At the viewer: bytes of output from the keystroke that starts the cat to the end marker.
    client.send({ type: 'terminal:attach', viberId, target: 'watched' });
    await client.waitFor((message) => message.type === 'terminal:screen' && message.target === 'watched');
    let bytes = 0;
    let ended = 0;
    let tail = '';
    const onOutput = (message: TerminalServerMessage) => {
      if (message.type !== 'terminal:output' || message.target !== 'watched') return;
      bytes += Buffer.byteLength(message.data);
      tail = (tail + message.data).slice(-64);
      if (!ended && tail.includes('cat-done-42')) ended = performance.now();
    };
    const stopCounting = client.onMessage(onOutput);
    const started = performance.now();
    client.send({
      type: 'terminal:input',
      viberId,
      target: 'watched',
      keys: `cat ${file}; echo cat-done-$((40+2))\r`,
    });
    await waitFor(() => ended > 0, {
      timeoutMs: options.timeoutMs,
      intervalMs: 5,
      description: 'the cat at the viewer',
    });
    stopCounting();
    const viewerSeconds = (ended - started) / 1000;

    const latency = await keystrokeLatency(client, viberId, options);
    rmSync(file, { force: true });
    return {
      throughput: {
        description: `cat of ${options.catBytes} bytes in a 120x40 pane; viewer bytes include tmux's redraw sequences`,
        viewerBytesPerSecond: Math.round(bytes / viewerSeconds),
        viewerBytes: bytes,
        viewerSeconds: round(viewerSeconds),
        tmuxOwnBytesPerSecond: Math.round(options.catBytes / tmuxSeconds),
        tmuxOwnSeconds: round(tmuxSeconds),
      },
      keystrokeEchoMs: {
        description:
          'terminal:input of one character at the viewer -> its echo in terminal:output (pane running cat)',
        ...latency,
      },
    };
  } finally {
    await stack.cleanup();
  }
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
  const onOutput = (message: TerminalServerMessage) => {
    if (message.type === 'terminal:output' && message.target === 'echo') seen += message.data;
  };
  const stopListening = client.onMessage(onOutput);
  const samples: number[] = [];
  for (let index = 0; index < options.keystrokes; index += 1) {
    if (index > 0 && index % 60 === 0) {
      // Ctrl-U keeps cat's line short; its echo is not measured.
      client.send({ type: 'terminal:input', viberId, target: 'echo', keys: '\x15' });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const key = String.fromCharCode(97 + (index % 26));
    seen = '';
    const sent = performance.now();
    client.send({ type: 'terminal:input', viberId, target: 'echo', keys: key });
    await waitFor(() => seen.includes(key), {
      timeoutMs: options.timeoutMs,
      intervalMs: 0,
      description: 'an echo',
    });
    samples.push(performance.now() - sent);
  }
  stopListening();
  return summarize(samples);
}

/** Lines of printable text, like a log file. */
function benchText(bytes: number): string {
  const line = `${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(2)} openviber terminal benchmark line\n`;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}
