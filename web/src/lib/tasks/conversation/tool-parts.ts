import type { UIMessage } from 'ai';

/** The fields of a tool call part the board reads (static `tool-<name>` or `dynamic-tool`). */
export interface ToolPartView {
  type: string;
  toolName: string;
  toolCallId: string;
  state:
    | 'input-streaming'
    | 'input-available'
    | 'approval-requested'
    | 'approval-responded'
    | 'output-available'
    | 'output-error'
    | 'output-denied';
  input?: unknown;
  output?: unknown;
  errorText?: string;
  approval?: { id: string; approved?: boolean; reason?: string; requestReason?: string; isAutomatic?: boolean };
}

type Part = UIMessage['parts'][number];

export function asToolPart(part: Part): ToolPartView | undefined {
  if (part.type === 'dynamic-tool') return part as unknown as ToolPartView;
  if (part.type.startsWith('tool-')) {
    return { ...(part as unknown as ToolPartView), toolName: part.type.slice('tool-'.length) };
  }
  return undefined;
}

/** One line that says what a tool call does: its command, path, URL or query. */
export function toolSubject(input: unknown): string {
  if (input == null || typeof input !== 'object') return input == null ? '' : String(input);
  const record = input as Record<string, unknown>;
  for (const key of ['command', 'path', 'url', 'query', 'pattern', 'name']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim()) return value;
  }
  const text = JSON.stringify(input);
  return text.length > 90 ? `${text.slice(0, 90)}…` : text;
}

/** The DOM id of a tool call, so report citations can link to it. */
export const toolAnchor = (toolCallId: string): string => `tool-${toolCallId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** Scrolls to a tool call, opens it and flashes it: the target of an evidence link. */
export function revealToolCall(toolCallId: string): boolean {
  const element = document.getElementById(toolAnchor(toolCallId));
  if (!element) return false;
  if (element instanceof HTMLDetailsElement) element.open = true;
  element.scrollIntoView({ behavior: 'smooth', block: 'center' });
  element.classList.remove('flash');
  void element.offsetWidth;
  element.classList.add('flash');
  element.querySelector<HTMLElement>('summary')?.focus({ preventScroll: true });
  return true;
}
