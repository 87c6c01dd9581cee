import { styleText } from 'node:util';
import type { TaskDetailResponse, TaskLink } from '../../protocol/index.ts';

/**
 * `viber task show`'s tree (docs/delegation.md): the parent the task was delegated by, and every
 * task below it, indented by depth under its own parent. Empty for a task with neither.
 */
export function taskTreeLines({ task, parent, children }: TaskDetailResponse): string[] {
  const lines: string[] = [];
  if (parent) lines.push(`  parent    ${linkLine(parent)}`);
  if (!children?.length) return lines;
  lines.push('  children');
  const byParent = new Map<string, TaskLink[]>();
  for (const child of children) {
    const key = child.parentTaskId ?? '';
    byParent.set(key, [...(byParent.get(key) ?? []), child]);
  }
  const walk = (id: string, indent: number) => {
    for (const child of byParent.get(id) ?? []) {
      lines.push(`${' '.repeat(4 + indent * 2)}└ ${linkLine(child)}`);
      walk(child.id, indent + 1);
    }
  };
  walk(task.id, 0);
  return lines;
}

function linkLine(link: TaskLink): string {
  const goal = link.goal.replace(/\s+/g, ' ');
  const short = goal.length > 50 ? `${goal.slice(0, 50)}…` : goal;
  const where = styleText('dim', `on ${link.viberName ?? link.viberId}`);
  return `${link.id}  ${link.status}  ${where}  ${short}`;
}
