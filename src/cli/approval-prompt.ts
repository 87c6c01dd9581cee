import { createInterface } from 'node:readline/promises';
import { styleText } from 'node:util';

/** Gives the person's answer to one approval request to whoever waits for it (an agent, the gateway). */
export type ApprovalAnswer = (approvalId: string, approved: boolean, reason?: string) => Promise<void> | void;

/**
 * Asks the person at the terminal about each tool approval request, one at a time, in the order
 * they came (`viber run`, `viber task create --follow`, `viber task logs`). Only on a terminal:
 * `interactive` says whether there is one to ask, and callers without one say how to answer instead.
 */
export class TerminalApprovals {
  readonly interactive: boolean;
  private readonly answer: ApprovalAnswer;
  private readline: ReturnType<typeof createInterface> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(answer: ApprovalAnswer, input: NodeJS.ReadStream = process.stdin) {
    this.answer = answer;
    this.interactive = input.isTTY === true;
  }

  /** Queues the question for this approval after any already asked. */
  ask(approvalId: string): void {
    this.queue = this.queue.then(() => this.question(approvalId));
  }

  private async question(approvalId: string): Promise<void> {
    if (this.closed) return;
    this.readline ??= createInterface({ input: process.stdin, output: process.stderr });
    let reply: string;
    try {
      reply = await this.readline.question(`${styleText('yellow', 'approve?')} [y/N] `);
    } catch {
      return; // closed while asking: the task ended, or stdin did
    }
    const approved = /^y(es)?$/i.test(reply.trim());
    await this.answer(approvalId, approved, approved ? undefined : 'denied at the terminal');
  }

  close(): void {
    this.closed = true;
    this.readline?.close();
  }
}
