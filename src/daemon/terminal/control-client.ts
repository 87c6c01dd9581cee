import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { decodeOctalEscapesInto } from './octal-escape.ts';
import { TerminalError, tmuxFailure } from './terminal-error.ts';
import { missingTmux, type TmuxRunner } from './tmux-runner.ts';

export type CommandCallback = (error: TerminalError | undefined, lines: string[]) => void;

export interface ControlClientEvents {
  /**
   * Raw bytes a pane wrote: every `%output` of the pane in one read of tmux's stream, unescaped and
   * joined, emitted at the end of that read (or before an answer parsed in it, to keep tmux's order).
   */
  output: [paneId: string, data: Buffer];
  /** Windows or panes changed: a watched pane may be gone. */
  layout: [];
  /** The client ended: `%exit` (session closed, detached) or the process died (tmux crashed). */
  exit: [reason: string];
}

interface Pending {
  line: string;
  callback: CommandCallback;
}

export interface ControlClientOptions {
  /** Whose output to decode and emit; every pane's by default (the others are skipped unread). */
  wantsOutput?(paneId: string): boolean;
}

/** A pane's output in the read being parsed: decoded into a buffer kept for the pane's next reads. */
interface OutputBatch {
  bytes: Buffer;
  length: number;
}

const PREFIX_OUTPUT = Buffer.from('%output ');
const LAYOUT_NOTIFICATIONS =
  /^%(layout-change|window-close|unlinked-window-close|window-pane-changed|session-window-changed|sessions-changed)\b/;

/**
 * One tmux control-mode client (`tmux -C attach -t =session`): pane output arrives as `%output`
 * events, commands are answered in `%begin`/`%end` blocks in the order they were written. Callbacks
 * run synchronously while the stream is parsed, so a caller sees output and answers in tmux's order.
 */
export class ControlClient extends EventEmitter<ControlClientEvents> {
  readonly session: string;
  readonly #process: ChildProcessWithoutNullStreams;
  readonly #pending: Pending[] = [];
  #partial: Buffer[] = [];
  readonly #wantsOutput: ((paneId: string) => boolean) | undefined;
  /** Per pane: the buffer its output is decoded into (reused), and how much of it this read filled. */
  readonly #batches = new Map<string, OutputBatch>();
  #block: { header: string; lines: string[]; ours: boolean } | undefined;
  #exitReason: string | undefined;
  #ended = false;

  constructor(runner: TmuxRunner, session: string, options: ControlClientOptions = {}) {
    super();
    this.session = session;
    this.#wantsOutput = options.wantsOutput;
    this.#process = spawn(runner.binary, [...runner.baseArgs, '-C', 'attach-session', '-t', `=${session}`], {
      env: runner.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#process.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#process.stderr.on('data', (chunk: Buffer) => {
      this.#exitReason ??= chunk.toString('utf8').trim().slice(0, 300);
    });
    this.#process.stdin.on('error', () => undefined);
    this.#process.on('error', (error) => {
      this.#end(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? missingTmux().message
          : `tmux control client failed: ${error.message}`,
      );
    });
    this.#process.on('close', (code, signal) => {
      this.#end(this.#exitReason ?? `tmux exited unexpectedly (${signal ?? `code ${code}`})`);
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Writes one command line; `callback` runs when its answer block is parsed. */
  command(line: string, callback: CommandCallback): void {
    if (this.#ended) {
      callback(new TerminalError('tmux_failed', `the tmux client of session ${this.session} has ended`), []);
      return;
    }
    this.#pending.push({ line, callback });
    this.#process.stdin.write(`${line}\n`);
  }

  run(line: string): Promise<string[]> {
    return new Promise((resolve, reject) =>
      this.command(line, (error, lines) => (error ? reject(error) : resolve(lines))),
    );
  }

  /** Detaches (closing stdin is the control-mode way); kills the client if it lingers. */
  close(): void {
    if (this.#ended) return;
    this.#exitReason = 'detached';
    this.#process.stdin.end();
    setTimeout(() => this.#process.kill('SIGKILL'), 2_000).unref();
  }

  #onData(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.#partial.length > 0) {
        this.#partial.push(piece);
        const line = Buffer.concat(this.#partial);
        this.#partial = [];
        this.#onLine(line);
      } else {
        this.#onLine(piece);
      }
    }
    if (start < chunk.length) this.#partial.push(Buffer.from(chunk.subarray(start)));
    this.#flushOutput();
  }

  /** Emits what each pane wrote so far in this read, one message per pane, and empties the batches. */
  #flushOutput(): void {
    for (const [paneId, batch] of this.#batches) {
      if (batch.length === 0) continue;
      // A copy of exactly the output: the batch's buffer is reused for the pane's next read.
      const data = Buffer.allocUnsafe(batch.length);
      batch.bytes.copy(data, 0, 0, batch.length);
      batch.length = 0;
      this.emit('output', paneId, data);
    }
  }

  #appendOutput(paneId: string, line: Buffer, start: number): void {
    let batch = this.#batches.get(paneId);
    if (!batch) {
      batch = { bytes: Buffer.allocUnsafe(Math.max(16 * 1024, line.length)), length: 0 };
      this.#batches.set(paneId, batch);
    }
    const needed = batch.length + line.length - start;
    if (needed > batch.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, batch.bytes.length * 2));
      batch.bytes.copy(grown, 0, 0, batch.length);
      batch.bytes = grown;
    }
    batch.length = decodeOctalEscapesInto(line, start, batch.bytes, batch.length);
  }

  /** Stops keeping a decode buffer for a pane nobody watches any more. */
  forgetPane(paneId: string): void {
    this.#batches.delete(paneId);
  }

  #onLine(raw: Buffer): void {
    const line = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw;
    if (this.#block) {
      this.#onBlockLine(line);
      return;
    }
    if (startsWith(line, PREFIX_OUTPUT)) {
      const space = line.indexOf(0x20, PREFIX_OUTPUT.length);
      if (space === -1) return;
      const paneId = line.toString('latin1', PREFIX_OUTPUT.length, space);
      if (this.#wantsOutput && !this.#wantsOutput(paneId)) return;
      this.#appendOutput(paneId, line, space + 1);
      return;
    }
    const text = line.toString('utf8');
    if (text.startsWith('%begin ')) {
      // flags bit 1: the command came from this client (the attach itself is answered with 0).
      this.#block = { header: text.slice(7), lines: [], ours: (Number(text.split(' ')[3]) & 1) === 1 };
    } else if (text.startsWith('%exit')) {
      this.#exitReason = text.slice(6).trim() || 'session closed';
    } else if (LAYOUT_NOTIFICATIONS.test(text)) {
      this.emit('layout');
    }
  }

  #onBlockLine(line: Buffer): void {
    const block = this.#block!;
    const text = line.toString('utf8');
    // A pane line could read "%end ..." too: only the exact header of this block closes it.
    const isEnd = text === `%end ${block.header}`;
    const isError = text === `%error ${block.header}`;
    if (!isEnd && !isError) {
      block.lines.push(text);
      return;
    }
    this.#block = undefined;
    if (!block.ours) return;
    const pending = this.#pending.shift();
    if (!pending) return;
    // The answer reflects everything tmux wrote before it: that output goes out first.
    this.#flushOutput();
    pending.callback(
      isError ? tmuxFailure(pending.line.split(' ')[0] ?? 'tmux', block.lines.join('\n')) : undefined,
      block.lines,
    );
  }

  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const pending of this.#pending.splice(0)) {
      pending.callback(
        new TerminalError('tmux_failed', `tmux client of session ${this.session} ended: ${reason}`),
        [],
      );
    }
    this.emit('exit', reason);
  }
}

function startsWith(line: Buffer, prefix: Buffer): boolean {
  return line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
