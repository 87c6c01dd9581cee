import { styleText } from 'node:util';
import { describeToolCall } from '../agent/tools/index.ts';
import type { UIChunk } from '../protocol/index.ts';
import { Spinner } from './spinner.ts';

interface Streams {
  out: NodeJS.WritableStream;
  err: NodeJS.WriteStream;
}

/**
 * Renders an AI SDK UI message stream in a terminal: the assistant's text on stdout (so it can be
 * piped), tool activity, plans, approvals and errors on stderr, with a spinner while waiting.
 */
export class ChunkRenderer {
  private readonly streams: Streams;
  private readonly spinner: Spinner;
  private readonly toolNames = new Map<string, string>();
  private atLineStart = true;
  /** Told about each approval request, after it is shown. */
  onApprovalRequest: ((approvalId: string) => void) | undefined;

  constructor(streams: Streams = { out: process.stdout, err: process.stderr }) {
    this.streams = streams;
    this.spinner = new Spinner(streams.err);
  }

  waiting(label = 'thinking'): void {
    this.spinner.start(label);
  }

  finish(): void {
    this.spinner.stop();
    this.endLine();
  }

  render(chunk: UIChunk): void {
    const c = chunk as Record<string, unknown> & { type: string };
    switch (c.type) {
      case 'start-step':
        this.waiting();
        return;
      case 'text-delta':
        this.spinner.stop();
        this.writeText(String(c.delta ?? ''));
        return;
      case 'reasoning-start':
        this.waiting('reasoning');
        return;
      case 'tool-input-start':
        this.waiting(`preparing ${String(c.toolName)}`);
        return;
      case 'tool-input-available': {
        const name = String(c.toolName);
        this.toolNames.set(String(c.toolCallId), name);
        this.note(
          `${styleText('cyan', '▸')} ${styleText('bold', name)} ${styleText('dim', describeToolCall(name, c.input))}`,
        );
        this.waiting(`running ${name}`);
        return;
      }
      case 'tool-output-available':
        this.note(
          `  ${styleText('green', '✓')} ${this.toolName(c)} ${styleText('dim', summarizeOutput(c.output))}`,
        );
        this.waiting();
        return;
      case 'tool-output-error':
      case 'tool-input-error':
        this.note(`  ${styleText('red', '✗')} ${this.toolName(c)} ${String(c.errorText ?? '')}`);
        return;
      case 'tool-approval-request':
        this.note(
          `${styleText('yellow', '?')} ${this.toolName(c)} needs approval ${styleText('dim', `(${String(c.approvalId)})`)}`,
        );
        this.onApprovalRequest?.(String(c.approvalId));
        return;
      case 'tool-output-denied':
        this.note(`  ${styleText('yellow', '⊘')} ${this.toolName(c)} denied`);
        return;
      case 'data-plan':
        this.note(renderPlan(c.data));
        return;
      case 'error':
        this.note(`${styleText('red', 'error:')} ${String(c.errorText ?? '')}`);
        return;
      case 'finish':
        this.spinner.stop();
        this.endLine();
        return;
      default:
        return;
    }
  }

  private toolName(chunk: Record<string, unknown>): string {
    return styleText('bold', this.toolNames.get(String(chunk.toolCallId)) ?? 'tool');
  }

  private writeText(text: string): void {
    if (!text) return;
    this.streams.out.write(text);
    this.atLineStart = text.endsWith('\n');
  }

  private endLine(): void {
    if (!this.atLineStart) this.streams.out.write('\n');
    this.atLineStart = true;
  }

  private note(line: string): void {
    this.spinner.stop();
    this.endLine();
    this.streams.err.write(`${line}\n`);
  }
}

function summarizeOutput(output: unknown): string {
  if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    if (typeof o.error === 'string') return `error: ${o.error.slice(0, 120)}`;
    if (typeof o.exitCode === 'number') return `exit ${o.exitCode}`;
  }
  const text = typeof output === 'string' ? output : (JSON.stringify(output) ?? '');
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 100 ? `${oneLine.slice(0, 100)}…` : oneLine;
}

function renderPlan(data: unknown): string {
  const steps = (data as { steps?: { title?: string; status?: string }[] })?.steps ?? [];
  const marks: Record<string, string> = { done: '✓', in_progress: '▸', blocked: '!', pending: '○' };
  return [
    styleText('bold', 'plan'),
    ...steps.map((step) => `  ${marks[step.status ?? 'pending'] ?? '○'} ${step.title ?? ''}`),
  ].join('\n');
}
