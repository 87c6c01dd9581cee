import { describe, expect, it } from 'vitest';
import { signIn } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnGateway } from '../support/viber-stack.ts';

// The board reads every list a page at a time (50 rows) and offers "Load more" for the rest: the
// Vibers page, the sidebar's tasks, the Environments page and the Devices page.

useE2eCleanup();

describe('board lists, a page at a time', () => {
  const browser = useBrowser();

  it(
    'shows the first 50 rows of each list and loads the rest on demand',
    async () => {
      const gateway = await spawnGateway();
      const { client } = gateway.rest;
      const vibers: { id: string; name: string }[] = [];
      for (let index = 0; index < 55; index++) {
        vibers.push(
          await client.call('vibers.register', { body: { name: `rack-${String(index).padStart(2, '0')}` } }),
        );
      }
      const environments: { id: string }[] = [];
      for (let index = 0; index < 52; index++) {
        environments.push(
          await client.call('environments.create', {
            body: { name: `env-${String(index).padStart(2, '0')}`, type: 'manual' },
          }),
        );
      }
      // The newest three on a viber past the first page of vibers.
      for (let index = 0; index < 53; index++) {
        const viberId = index < 50 ? vibers[index % 3]!.id : vibers[54]!.id;
        await client.call('tasks.create', { body: { goal: `Task number ${index}`, viberId } });
      }

      const page = await signIn(await browser.context(), gateway, '/vibers');
      const errors = collectPageErrors(page);
      const viberRows = page.locator('table[aria-label="Vibers"] tbody tr');
      await page.getByText('50+ registered').waitFor();
      expect(await viberRows.count()).toBe(50);
      expect(await viberRows.first().getAttribute('data-viber-id')).toBe(vibers[0]!.id);
      // A fresh browser opens on every task (issue 16, item 7); an environment has its own page
      // of tasks: none here.
      const taskRows = page.getByRole('navigation', { name: 'Tasks' }).locator('a[data-task-id]');
      const switcher = page.getByTestId('environment-switcher');
      await page.getByText('50 tasks shown').waitFor();
      expect(await switcher.inputValue()).toBe('');
      await switcher.selectOption(environments[0]!.id);
      await page.getByText('No tasks yet.').waitFor();
      expect(await page.getByRole('button', { name: 'Load more tasks' }).count()).toBe(0);
      // Every task: the newest 50, then the rest. The newest name their viber, which no page of
      // vibers has read yet: it is read on its own, and joins no page (the Vibers page still ends
      // at the 50th).
      await switcher.selectOption('');
      await page.getByText('50 tasks shown').waitFor();
      expect(await taskRows.count()).toBe(50);
      await page
        .getByRole('link', { name: /Task number 52/ })
        .getByText('rack-54')
        .waitFor();
      await page.getByRole('button', { name: 'Load more tasks' }).scrollIntoViewIfNeeded();
      await screenshot(page, 'list-pages-tasks-first-page');
      expect(await viberRows.count()).toBe(50);
      await page.getByRole('button', { name: 'Load more tasks' }).click();
      await page.getByRole('link', { name: /Task number 0\b/ }).waitFor();
      expect(await taskRows.count()).toBe(53);
      expect(await page.getByRole('button', { name: 'Load more tasks' }).count()).toBe(0);
      // The health summary knows the count of offline vibers only as a floor until all are read.
      await page.getByRole('link', { name: 'Vibers: 0 online, 0 busy, 51+ offline' }).waitFor();
      await page.getByRole('button', { name: 'Load more vibers' }).scrollIntoViewIfNeeded();
      await screenshot(page, 'list-pages-vibers-first-page');
      await page.getByRole('button', { name: 'Load more vibers' }).click();
      await page.getByText('55 registered').waitFor();
      expect(await viberRows.count()).toBe(55);
      expect(await viberRows.last().getAttribute('data-viber-id')).toBe(vibers[54]!.id);
      await page.getByRole('link', { name: 'Vibers: 0 online, 0 busy, 55 offline' }).waitFor();
      expect(await page.getByRole('button', { name: 'Load more vibers' }).count()).toBe(0);

      await page.goto(`${gateway.url}/environments`);
      const environmentRows = page.locator('main table tbody tr');
      await page.getByText('50 environments shown').waitFor();
      expect(await environmentRows.count()).toBe(50);
      // The sidebar's list leads to this page while some are unread.
      const moreEnvironments = page.getByRole('link', { name: 'More environments…' });
      await moreEnvironments.waitFor();
      await page.getByRole('button', { name: 'Load more environments' }).click();
      await page.getByRole('link', { name: 'env-51' }).first().waitFor();
      expect(await environmentRows.count()).toBe(52);
      expect(await moreEnvironments.count()).toBe(0);

      // Devices: 55 vibers' node devices, the operator token and this browser.
      await page.goto(`${gateway.url}/devices`);
      await page.getByRole('heading', { name: 'Paired' }).waitFor();
      await page.getByText('50 devices shown').waitFor();
      const deviceRows = page.getByTestId('device-row');
      expect(await deviceRows.count()).toBe(50);
      await page.getByRole('button', { name: 'Load more devices' }).click();
      await page.getByText('57 paired').waitFor();
      expect(await deviceRows.count()).toBe(57);
      await screenshot(page, 'list-pages-devices-all');
      expect(errors).toEqual([]);
    },
    UI_TIMEOUT_MS * 4,
  );
});
