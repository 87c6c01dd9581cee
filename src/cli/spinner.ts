import { styleText } from 'node:util';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line progress indicator on stderr. On a terminal it animates in place; elsewhere (CI, pipes)
 * it prints each new label once, so logs still show what was going on.
 */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private label = '';
  private readonly stream: NodeJS.WriteStream;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
  }

  start(label: string): void {
    if (label === this.label && this.timer) return;
    this.label = label;
    if (!this.stream.isTTY) {
      this.stream.write(`… ${label}\n`);
      return;
    }
    this.render();
    this.timer ??= setInterval(() => this.render(), 80);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.stream.write('\r\x1b[2K');
    }
    this.label = '';
  }

  private render(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`\r\x1b[2K${styleText('cyan', FRAMES[this.frame]!)} ${styleText('dim', this.label)}`);
  }
}
