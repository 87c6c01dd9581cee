import type { TaskEventRecord, TasksStore } from '../store/index.ts';

/** How much of one tool input, output or error follow_task shows. */
export const CLIP_CHARS = 400;

export function clip(text: string, max = CLIP_CHARS): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max
    ? `${oneLine.slice(0, max)}… (${oneLine.length - max} more characters)`
    : oneLine;
}

/** A value as one short line: a string as it is, anything else as JSON. */
export function brief(value: unknown, max = CLIP_CHARS): string {
  return clip(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''), max);
}

type Chunk = Record<string, unknown>;

/**
 * A task's stream log as text a model reads (follow_task): the agent's words as it wrote them, and
 * on lines of their own in brackets what else happened, tool calls and results clipped to
 * CLIP_CHARS. The gateway still never needs the agent: it reads the AI SDK's UI chunks it stores.
 */
export class StreamText {
  #text = '';
  /** Tool names by call id, for the results that name only the call. */
  readonly #tools: Map<string, string>;

  /** `names`: the tools of calls made before the rows this text is given (toolNamesBefore). */
  constructor(names: ReadonlyMap<string, string> = new Map()) {
    this.#tools = new Map(names);
  }

  get text(): string {
    return this.#text;
  }

  add(row: Pick<TaskEventRecord, 'type' | 'payload'>): void {
    const data = parse(row.payload);
    if (row.type !== 'task:stream-chunk') {
      const note = lifecycleNote(row.type, data);
      if (note) this.#note(note);
    } else if (data?.type === 'text-delta') {
      this.#text += typeof data.delta === 'string' ? data.delta : '';
    } else if (data?.type === 'text-start') {
      this.#endLine();
    } else if (data) {
      const note = this.#chunkNote(data);
      if (note) this.#note(note);
    }
  }

  /** What a chunk other than text says, on a line of its own; undefined for what no reader needs. */
  #chunkNote(chunk: Chunk): string | undefined {
    const call = typeof chunk.toolCallId === 'string' ? chunk.toolCallId : '';
    const tool = this.#tools.get(call) ?? (call ? `call ${call}` : 'tool');
    switch (chunk.type) {
      case 'tool-input-available': {
        const name = typeof chunk.toolName === 'string' ? chunk.toolName : 'tool';
        if (call) this.#tools.set(call, name);
        return `tool ${name}: ${brief(chunk.input)}`;
      }
      case 'tool-output-available':
        return `${tool} → ${brief(chunk.output)}`;
      case 'tool-output-error':
      case 'tool-input-error':
        return `${tool} failed: ${brief(chunk.errorText ?? '')}`;
      case 'tool-output-denied':
        return `${tool} was denied`;
      case 'tool-approval-request':
        if (chunk.isAutomatic === true) return undefined; // the agent's own policy decided
        return `approval needed for ${tool}: approvalId ${String(chunk.approvalId)} (answer it with answer_approval)`;
      case 'tool-approval-response':
        return `approval ${String(chunk.approvalId)} ${chunk.approved === true ? 'approved' : 'denied'}`;
      case 'data-plan':
        return `plan: ${planLine(chunk.data)}`;
      case 'data-artifact':
        return `artifact saved: ${brief((chunk.data as Chunk | undefined)?.path ?? chunk.data)}`;
      case 'data-report':
        return 'report written (read it with get_report)';
      case 'data-viber-restarted':
        return 'the viber restarted and picked the task up again';
      case 'error':
        return `error: ${brief(chunk.errorText ?? '')}`;
      default:
        return undefined; // steps, reasoning, message boundaries
    }
  }

  #note(line: string): void {
    this.#endLine();
    this.#text += `[${line}]\n`;
  }

  #endLine(): void {
    if (this.#text !== '' && !this.#text.endsWith('\n')) this.#text += '\n';
  }
}

type Row = Pick<TaskEventRecord, 'seq' | 'type' | 'payload'>;

/** The call ids rows refer to (a result, an approval) without their call among them. */
export function unnamedToolCalls(rows: readonly Row[]): Set<string> {
  const named = new Set<string>();
  const unnamed = new Set<string>();
  for (const row of rows) {
    if (row.type !== 'task:stream-chunk' || !row.payload.includes('"toolCallId"')) continue;
    const chunk = parse(row.payload);
    if (typeof chunk?.toolCallId !== 'string') continue;
    if (chunk.type === 'tool-input-available') named.add(chunk.toolCallId);
    else if (!named.has(chunk.toolCallId)) unnamed.add(chunk.toolCallId);
  }
  return unnamed;
}

/**
 * The tool names of these calls, from the log up to `upTo` (a page of follow_task that starts
 * after the call was made). Only rows that may be one of the calls are parsed.
 */
export async function toolNamesBefore(
  store: Pick<TasksStore, 'readTaskLog'>,
  taskId: string,
  upTo: number,
  ids: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (let after = 0; after < upTo && names.size < ids.size; ) {
    const rows = await store.readTaskLog(taskId, after, Math.min(500, upTo - after));
    for (const row of rows) {
      if (row.type !== 'task:stream-chunk' || !row.payload.includes('"tool-input-available"')) continue;
      const chunk = parse(row.payload);
      const id = chunk?.toolCallId;
      if (typeof id === 'string' && ids.has(id) && typeof chunk?.toolName === 'string')
        names.set(id, chunk.toolName);
    }
    if (rows.length === 0) break;
    after = rows.at(-1)!.seq;
  }
  return names;
}

/** A lifecycle event of the log as a note; progress and the like are facts get_task shows. */
function lifecycleNote(type: string, data: Chunk | undefined): string | undefined {
  switch (type) {
    case 'task:started':
      return 'task started';
    case 'task:completed':
      return 'task completed';
    case 'task:error':
      return `task failed: ${brief(data?.error ?? 'no reason given')}`;
    case 'task:stopped':
      return `task stopped${data?.reason ? `: ${brief(data.reason)}` : ''}`;
    default:
      return undefined;
  }
}

function parse(payload: string): Chunk | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null ? (value as Chunk) : undefined;
  } catch {
    return undefined;
  }
}

/** `data-plan`'s steps on one line: ✓ done, ▸ in progress, · pending, ✗ blocked. */
function planLine(data: unknown): string {
  const steps = (data as { steps?: unknown } | undefined)?.steps;
  if (!Array.isArray(steps)) return brief(data);
  const marks: Record<string, string> = { done: '✓', in_progress: '▸', pending: '·', blocked: '✗' };
  return clip(
    steps
      .map(
        (step: { title?: unknown; status?: unknown }) =>
          `${marks[String(step?.status)] ?? '·'} ${String(step?.title ?? '')}`,
      )
      .join('; '),
  );
}
