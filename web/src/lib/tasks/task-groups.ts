import type { TaskView } from '#lib/protocol.ts';

export const ARCHIVE_AFTER_MS = 7 * 24 * 60 * 60_000;

export interface TaskGroup {
  id: 'today' | 'week' | 'archived';
  label: string;
  tasks: TaskView[];
}

/** The moment a task last did something: its last update. */
export const lastActivity = (task: TaskView): string => task.updatedAt;

/**
 * The sidebar's groups (environments document, section 3.2): Today, Last 7 days, Archived.
 * A task is archived once it ended more than 7 days ago; a live task is never archived.
 */
export function groupTasks(tasks: readonly TaskView[], now: number, query = ''): TaskGroup[] {
  const needle = query.trim().toLowerCase();
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  const groups: TaskGroup[] = [
    { id: 'today', label: 'Today', tasks: [] },
    { id: 'week', label: 'Last 7 days', tasks: [] },
    { id: 'archived', label: 'Archived', tasks: [] },
  ];
  const sorted = [...tasks].sort((a, b) => (lastActivity(a) < lastActivity(b) ? 1 : -1));
  for (const task of sorted) {
    if (needle && !`${task.goal} ${task.id}`.toLowerCase().includes(needle)) continue;
    const ended = task.endedAt ? Date.parse(task.endedAt) : undefined;
    const active = Date.parse(lastActivity(task));
    if (ended !== undefined && now - ended > ARCHIVE_AFTER_MS) groups[2]!.tasks.push(task);
    else if (active >= startOfToday.getTime()) groups[0]!.tasks.push(task);
    else groups[1]!.tasks.push(task);
  }
  return groups;
}
