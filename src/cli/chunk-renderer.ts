import { styleText } from 'node:util';
import { z } from 'zod';
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
  private readonly errorsShown = new Set<string>();
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
    // Loose on the wire (new SDK chunk types pass through): every field but `type` is unknown.
    switch (chunk.type) {
      case 'start-step':
        this.waiting();
        return;
      case 'text-delta':
        this.spinner.stop();
        this.writeText(String(chunk.delta ?? ''));
        return;
      case 'reasoning-start':
        this.waiting('reasoning');
        return;
      case 'tool-input-start':
        this.waiting(`preparing ${String(chunk.toolName)}`);
        return;
      case 'tool-input-available': {
        const name = String(chunk.toolName);
        this.toolNames.set(String(chunk.toolCallId), name);
        this.note(
          `${styleText('cyan', '▸')} ${styleText('bold', name)} ${styleText('dim', describeToolCall(name, chunk.input))}`,
        );
        this.waiting(`running ${name}`);
        return;
      }
      case 'tool-output-available':
        this.note(
          `  ${styleText('green', '✓')} ${this.toolName(chunk)} ${styleText('dim', summarizeOutput(chunk.output))}`,
        );
        this.waiting();
        return;
      case 'tool-output-error':
      case 'tool-input-error':
        this.note(`  ${styleText('red', '✗')} ${this.toolName(chunk)} ${String(chunk.errorText ?? '')}`);
        return;
      case 'tool-approval-request':
        this.note(
          `${styleText('yellow', '?')} ${this.toolName(chunk)} needs approval ${styleText('dim', `(${String(chunk.approvalId)})`)}`,
        );
        this.onApprovalRequest?.(String(chunk.approvalId));
        return;
      case 'tool-output-denied':
        this.note(`  ${styleText('yellow', '⊘')} ${this.toolName(chunk)} denied`);
        return;
      case 'data-plan':
        this.note(renderPlan(chunk.data));
        return;
      case 'data-mcp-server': {
        // An MCP server the task could not use (docs/mcp.md); its data is the server's health.
        const server = (chunk.data ?? {}) as { name?: unknown; state?: unknown; reason?: unknown };
        this.note(
          `${styleText('yellow', '!')} MCP server ${String(server.name)} is not available: ${String(server.reason ?? server.state)}`,
        );
        return;
      }
      case 'error':
        this.errorsShown.add(String(chunk.errorText ?? ''));
        this.note(`${styleText('red', 'error:')} ${String(chunk.errorText ?? '')}`);
        return;
      case 'finish':
        this.spinner.stop();
        this.endLine();
        return;
      default:
        return;
    }
  }

  /** Whether an `error` chunk already showed this text (the caller then need not repeat it). */
  showedError(text: string): boolean {
    return this.errorsShown.has(text);
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

/** A tool's output as it often looks: a failure's message, or a command's exit code. */
const ToolOutcomeSchema = z.union([z.object({ error: z.string() }), z.object({ exitCode: z.number() })]);

/** A `data-plan` part, read leniently: a step without a title or status still shows. */
const PlanDataSchema = z.object({
  steps: z.array(z.object({ title: z.string().optional(), status: z.string().optional() })).optional(),
});

function summarizeOutput(output: unknown): string {
  const outcome = ToolOutcomeSchema.safeParse(output);
  if (outcome.success) {
    return 'error' in outcome.data
      ? `error: ${outcome.data.error.slice(0, 120)}`
      : `exit ${outcome.data.exitCode}`;
  }
  const text = typeof output === 'string' ? output : (JSON.stringify(output) ?? '');
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 100 ? `${oneLine.slice(0, 100)}…` : oneLine;
}

function renderPlan(data: unknown): string {
  const parsed = PlanDataSchema.safeParse(data);
  const steps = (parsed.success ? parsed.data.steps : undefined) ?? [];
  const marks: Record<string, string> = { done: '✓', in_progress: '▸', blocked: '!', pending: '○' };
  return [
    styleText('bold', 'plan'),
    ...steps.map((step) => `  ${marks[step.status ?? 'pending'] ?? '○'} ${step.title ?? ''}`),
  ].join('\n');
}
