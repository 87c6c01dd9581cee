import type { Page } from 'playwright-core';
import { UI_TIMEOUT_MS } from './browser.ts';

/** The conversation as a person reads it: each message's role and visible text, in order. */
export async function readConversation(page: Page): Promise<{ role: string; text: string }[]> {
  return page.locator('[data-testid="conversation"] > [data-role]').evaluateAll((elements) =>
    elements.map((element) => ({
      role: element.getAttribute('data-role') ?? '',
      // biome-ignore lint/performance/useDomNodeTextContent: what a person sees, not hidden text.
      text: (element as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
    })),
  );
}

/** Waits until the task header shows `label` (e.g. "Completed", "Needs approval"). */
export async function waitForStatus(
  page: Page,
  label: string | RegExp,
  timeout = UI_TIMEOUT_MS,
): Promise<void> {
  await page.getByTestId('task-status').getByText(label).waitFor({ timeout });
}

/** Creates a task through the New task form and returns its id from the URL it lands on. */
export async function createTaskFromForm(
  page: Page,
  options: { goal: string; mode?: 'Always ask' | 'Agent decides' | 'Always execute'; cwd?: string },
): Promise<string> {
  await page.getByTestId('new-task').first().click();
  await page.waitForURL(/\/new$/);
  await page.getByLabel('Goal').fill(options.goal);
  if (options.mode) await page.getByLabel(options.mode).check();
  if (options.cwd) {
    await page.getByText('Advanced').click();
    await page.getByLabel('Working directory').fill(options.cwd);
  }
  await page.getByTestId('start-task').click();
  await page.waitForURL(/\/tasks\/task_/);
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
}

/** The agent's text parts (not the report that may quote them). */
export function agentText(page: Page, text: string) {
  return page.getByTestId('conversation').locator('[data-part="text"]').getByText(text);
}
