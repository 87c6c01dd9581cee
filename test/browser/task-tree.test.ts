import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signIn } from '../support/browser/board-stack.ts';
import { screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ScriptTurn } from '../support/openai-script.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 18, item 3: the board shows a task's tree (docs/delegation.md): the parent as a link, and
// the delegated tasks nested under their own parent, each with its status and viber. Screenshots
// go to test-output/screenshots and docs/screenshots/task-tree-*.png.

useE2eCleanup();

describe('the task tree on the board', () => {
  const browser = useBrowser();

  it(
    'shows the parent and the nested children with status, viber and a link each',
    async () => {
      const benchmark = createGate();
      const model = await startModelServer({
        script: (request): ScriptTurn => {
          const user = userText(request.body);
          const answered = lastMessage(request.body)?.role === 'tool';
          if (user.includes('benchmark')) {
            return {
              type: 'text',
              text: ['Running ', 'the ', 'suite'],
              beforeChunk: (i) => (i === 1 ? benchmark.wait() : undefined),
            };
          }
          if (user.includes('tokenizer'))
            return { type: 'text', text: 'The tokenizer handles all 14 edge cases.' };
          if (user.includes('Review the parser')) {
            if (answered) return { type: 'text', text: 'Review done: no regressions.' };
            return {
              type: 'tool-calls',
              calls: [{ name: 'delegate', input: { goal: 'Check the tokenizer edge cases' } }],
            };
          }
          if (answered) return { type: 'text', text: 'The release is ready; the benchmark still runs.' };
          return {
            type: 'tool-calls',
            calls: [
              { name: 'delegate', input: { goal: 'Review the parser changes', viber: 'review-box' } },
              { name: 'delegate', input: { goal: 'Run the long benchmark suite', wait: false } },
            ],
          };
        },
      });
      const gateway = await spawnGateway();
      const main = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'build-box' });
      const review = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'review-box' });
      const root = await gateway.rest.createTask({
        goal: 'Prepare the 2.0 release',
        viberId: main.viberId,
        options: { mode: 'always-execute' },
      });
      const done = await waitForTaskStatus(gateway.rest, root.id, 'completed', 90_000);
      const children = done.children!;
      const byGoal = (goal: string) => children.find((child) => child.goal === goal);
      const reviewTask = byGoal('Review the parser changes');
      const tokenizerTask = byGoal('Check the tokenizer edge cases');
      const benchmarkTask = byGoal('Run the long benchmark suite');
      expect([reviewTask?.depth, tokenizerTask?.depth, benchmarkTask?.depth]).toEqual([1, 2, 1]);
      expect(tokenizerTask!.parentTaskId).toBe(reviewTask!.id);
      expect(reviewTask!.viberId).toBe(review.viberId);
      await waitFor(async () => (await gateway.rest.getTask(benchmarkTask!.id)).task.status === 'running', {
        timeoutMs: 30_000,
        description: 'the benchmark child to run',
      });

      for (const viewport of ['desktop', 'mobile'] as const) {
        const context = await browser.context({ viewport });
        const page = await signIn(context, gateway, `/tasks/${root.id}`);
        if (viewport === 'mobile') await page.getByRole('tab', { name: 'Terminal and details' }).click();
        const tree = page.getByRole('region', { name: 'Task tree' });
        await tree.waitFor();
        // Nested under its own parent, each a link, with its status and viber.
        const review = tree.locator(`[data-tree-child="${reviewTask!.id}"]`);
        await review.getByText('Review the parser changes').waitFor();
        await review.getByText('review-box').waitFor();
        await review.getByText(/completed/i).waitFor();
        const grandchild = tree.locator(`[data-tree-child="${tokenizerTask!.id}"]`);
        await grandchild.getByText('Check the tokenizer edge cases').waitFor();
        const bench = tree.locator(`[data-tree-child="${benchmarkTask!.id}"]`);
        await bench.getByText(/running/i).waitFor();
        await bench.getByText('build-box').waitFor();
        const indent = async (id: string) =>
          tree
            .locator(`li:has([data-tree-child="${id}"])`)
            .evaluate((li) => getComputedStyle(li).paddingLeft);
        expect(await indent(tokenizerTask!.id)).not.toBe(await indent(reviewTask!.id));
        expect(await review.getAttribute('href')).toBe(`/tasks/${reviewTask!.id}`);
        await shoot(page, `task-tree-${viewport}`);

        // The child's page links back to its parent, and the task list marks it a child.
        await review.click();
        await page.waitForURL(`**/tasks/${reviewTask!.id}`);
        if (viewport === 'mobile') await page.getByRole('tab', { name: 'Terminal and details' }).click();
        const parentLink = page
          .getByRole('region', { name: 'Task tree' })
          .locator(`[data-tree-parent="${root.id}"]`);
        await parentLink.getByText('Prepare the 2.0 release').waitFor();
        if (viewport === 'desktop') {
          await page.locator(`a[data-task-id="${reviewTask!.id}"]`).getByText('↳ child').waitFor();
          await shoot(page, 'task-tree-child-desktop');
        }
        await context.close();
      }
      benchmark.open();
    },
    UI_TIMEOUT_MS * 4,
  );
});

/** A screenshot under test-output/screenshots, copied to docs/screenshots. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  const docs = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  copyFileSync(await screenshot(page, name), join(docs, `${name}.png`));
}
