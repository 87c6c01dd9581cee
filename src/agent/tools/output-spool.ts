import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { truncationNote } from './output-bound.ts';

export interface SpoolResult {
  /** The output, or its head and tail around a note naming the artifact. */
  text: string;
  totalBytes: number;
  /** Set when the output outgrew memory and the full text went to this file. */
  artifactPath?: string;
}

/**
 * Collects a process's output with a memory bound: up to `memoryBytes` in memory; past that,
 * everything goes to `spillPath` and only a head and a tail stay in memory, so a command that
 * prints gigabytes neither exhausts the daemon nor loses its output.
 */
export class OutputSpool {
  private readonly memoryBytes: number;
  private readonly spillPath: string;
  private readonly keepBytes: number;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private totalBytes = 0;
  private head: Buffer | undefined;
  private tail: Buffer = Buffer.alloc(0);
  private file: WriteStream | undefined;
  private failure: Error | undefined;
  private drainWaiters: Array<() => void> = [];

  /** `keepChars`: how much of the head and of the tail the model sees after a spill (each). */
  constructor(options: { memoryBytes: number; spillPath: string; keepChars: number }) {
    this.memoryBytes = options.memoryBytes;
    this.spillPath = options.spillPath;
    this.keepBytes = options.keepChars;
  }

  /** Returns false when the spill file wants the producer to wait for `drain` (backpressure). */
  write(chunk: Buffer): boolean {
    this.totalBytes += chunk.length;
    if (this.file) {
      this.keepTail(chunk);
      return this.failure ? true : this.file.write(chunk);
    }
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes <= this.memoryBytes) return true;
    return this.spill();
  }

  /** Calls `listener` once the producer may write again (also when the spill file failed). */
  onDrain(listener: () => void): void {
    if (!this.file || this.failure || !this.file.writableNeedDrain) listener();
    else this.drainWaiters.push(listener);
  }

  async finish(): Promise<SpoolResult> {
    if (!this.file) {
      return { text: Buffer.concat(this.chunks).toString('utf8'), totalBytes: this.totalBytes };
    }
    const file = this.file;
    if (!this.failure) await new Promise<void>((resolve) => file.end(() => resolve()));
    if (this.failure) throw this.failure;
    const head = this.head?.toString('utf8') ?? '';
    const tail = this.tail.toString('utf8');
    const cut = this.totalBytes - (this.head?.length ?? 0) - this.tail.length;
    return {
      text: head + truncationNote(cut, this.totalBytes, this.spillPath, 'bytes') + tail,
      totalBytes: this.totalBytes,
      artifactPath: this.spillPath,
    };
  }

  private spill(): boolean {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.bufferedBytes = 0;
    try {
      mkdirSync(dirname(this.spillPath), { recursive: true });
    } catch {
      // createWriteStream below then fails to open and reports through its error listener.
    }
    this.file = createWriteStream(this.spillPath);
    this.file.on('drain', () => this.releaseWaiters());
    // A failing spill file (disk full) must not crash the daemon; finish() reports it.
    this.file.on('error', (error) => {
      this.failure = error;
      this.releaseWaiters();
    });
    this.head = all.subarray(0, this.keepBytes);
    this.keepTail(all);
    return this.file.write(all);
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private keepTail(chunk: Buffer): void {
    const joined = chunk.length >= this.keepBytes ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.keepBytes)));
  }
}
