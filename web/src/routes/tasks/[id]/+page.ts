import { loadMarkdown } from '#lib/components/markdown/lexer.svelte.ts';
import { TaskDetail } from '#lib/tasks/task-detail.svelte.ts';
import type { PageLoad } from './$types';

// The task is read here, once per task id, without holding up the navigation: the page shows
// "Loading task…" until it arrives, and the page, its conversation and its follow-up queue all
// share this one store of it. The Markdown renderer (its own chunk) is fetched at the same time,
// so it is there before the conversation is.
export const load: PageLoad = ({ params }) => {
  const task = new TaskDetail(params.id);
  void task.refresh();
  void loadMarkdown().catch(() => {});
  return { task };
};
