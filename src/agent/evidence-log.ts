import type { Evidence } from './tools/tool-context.ts';

/** Enough for any real task; bounds memory when a runaway loop records forever. */
const MAX_EVIDENCE = 5_000;
const MAX_EXCERPT_CHARS = 1_000;

/**
 * Every proof the tools recorded during a task, in order, indexed by tool call id. Claims in the
 * final report cite tool call ids; this log is what makes a claim verified or not.
 */
export class EvidenceLog {
  private readonly items: Evidence[] = [];
  private readonly byCall = new Map<string, Evidence[]>();
  private dropped = 0;

  add(evidence: Evidence): void {
    if (this.items.length >= MAX_EVIDENCE) {
      this.dropped += 1;
      return;
    }
    this.items.push(evidence);
    const list = this.byCall.get(evidence.toolCallId) ?? [];
    list.push(evidence);
    this.byCall.set(evidence.toolCallId, list);
  }

  /** True when a tool already recorded its own `tool-call` evidence for this call. */
  hasToolCall(toolCallId: string): boolean {
    return this.byCall.get(toolCallId)?.some((item) => item.kind === 'tool-call') ?? false;
  }

  forCall(toolCallId: string): Evidence[] {
    return this.byCall.get(toolCallId) ?? [];
  }

  all(): Evidence[] {
    return [...this.items];
  }

  get droppedCount(): number {
    return this.dropped;
  }
}

/** What the agent knows of a finished tool call. */
export interface FinishedCall {
  toolCallId: string;
  tool: string;
  /** The call's one-line description. */
  input: string;
  output: unknown;
  failed: boolean;
}

/** Evidence for a tool that recorded none itself (MCP tools, tests): the call and its outcome. */
export function recordUnreportedCall(log: EvidenceLog, call: FinishedCall): void {
  if (log.hasToolCall(call.toolCallId)) return;
  const text = typeof call.output === 'string' ? call.output : safeJson(call.output);
  const reportsError = typeof call.output === 'object' && call.output !== null && 'error' in call.output;
  log.add({
    kind: 'tool-call',
    toolCallId: call.toolCallId,
    tool: call.tool,
    input: call.input,
    outputExcerpt: text.slice(0, MAX_EXCERPT_CHARS),
    ok: !call.failed && !reportsError,
  });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
