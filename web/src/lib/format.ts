import type { TaskStatus, TokenUsage } from '#lib/protocol.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "4 min ago", "3 h ago", "2 d ago", then a date. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return 'unknown';
  const ago = now - at;
  if (ago < 45_000) return 'just now';
  if (ago < HOUR) return `${Math.round(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.round(ago / HOUR)} h ago`;
  if (ago < 7 * DAY) return `${Math.round(ago / DAY)} d ago`;
  return new Date(at).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
}

export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString();
}

export function formatTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(count < 10_000 ? 1 : 0)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

export function usageLine(usage: TokenUsage | null): string {
  if (!usage) return 'no tokens yet';
  return `${formatTokens(usage.totalTokens)} tokens (${formatTokens(usage.inputTokens)} in, ${formatTokens(usage.outputTokens)} out)`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** A task's title: the first line of its goal, without Markdown noise. */
export function taskTitle(goal: string): string {
  const line = goal.split('\n').find((text) => text.trim()) ?? goal;
  return line.replace(/^[#>*\-\s]+/, '').trim() || 'Untitled task';
}

// One vocabulary for a task's state on the board and in the CLI (src/client/task-labels.ts).
export { TASK_STATUS_LABELS as STATUS_LABELS, taskStateLabel } from '#lib/client.ts';

export function isLive(status: TaskStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** Pretty JSON for tool inputs and outputs; strings stay as they are. */
export function pretty(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Time left until `iso` as "4:05" (minutes and seconds), or null once it has passed. */
export function timeLeft(iso: string | null | undefined, now: number): string | null {
  if (!iso) return null;
  const left = Date.parse(iso) - now;
  if (Number.isNaN(left) || left <= 0) return null;
  const seconds = Math.floor(left / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
