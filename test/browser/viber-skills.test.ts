import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signIn } from '../support/browser/board-stack.ts';
import { screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { writeSkill } from '../support/skills.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// A viber's skills on its page: what its daemon announced, with the health its heartbeats carry,
// checked again live when the operator pushes the config.

useE2eCleanup();

describe("a viber's skills on the board", () => {
  const browser = useBrowser();

  it(
    'shows each skill with its status and health, and the new health after a config push',
    async () => {
      const home = makeTempDir('skills-daemon');
      const bin = makeTempDir('skills-bin');
      writeSkill(join(home, 'skills'), 'release-notes', {
        description: 'Draft release notes from the merged changes. Use when preparing a release.',
        frontmatter: 'metadata:\n  requires-bins: git',
      });
      writeSkill(join(home, 'skills'), 'chart-data', {
        description: 'Turn a CSV file into a chart. Use when asked to plot data.',
        frontmatter: 'metadata:\n  requires-bins: viber-plot',
      });
      const model = await startModelServer({ script: [] });
      const gateway = await spawnGateway();
      const daemon = await spawnViberFor(gateway, {
        modelBaseURL: model.baseURL,
        name: 'skilled-box',
        home,
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      const context = await browser.context();
      const page = await signIn(context, gateway, `/vibers/${daemon.viberId}`);
      const section = page.getByTestId('viber-skills');
      await section.getByRole('heading', { name: /Skills/ }).waitFor();
      const row = (name: string) => section.locator(`tr[data-skill="${name}"]`);
      await row('chart-data').getByText('Not available').waitFor();
      expect(await row('chart-data').getByRole('cell').nth(2).textContent()).toBe(
        'missing on PATH: viber-plot',
      );
      expect(await row('release-notes').getByText('Available', { exact: true }).count()).toBe(1);
      expect(await row('release-notes').getByRole('cell').nth(2).textContent()).toBe('found git');
      // The bundled skills come with every viber.
      await row('write-report').getByText('Available', { exact: true }).waitFor();
      await row('git-commit-message').getByText('Available', { exact: true }).waitFor();
      await section.getByText('3 of 4 available').waitFor();
      await screenshot(page, 'viber-skills-desktop-light');

      // The program the skill needs is installed; a config push checks the skills again.
      writeFileSync(join(bin, 'viber-plot'), '#!/bin/sh\n');
      chmodSync(join(bin, 'viber-plot'), 0o755);
      await page.getByTestId('config-push').click();
      await row('chart-data').getByText('Available', { exact: true }).waitFor();
      expect(await row('chart-data').getByRole('cell').nth(2).textContent()).toBe('found viber-plot');
      await section.getByText('4 of 4 available').waitFor();
      await page.getByRole('cell', { name: '4 of 4 skill(s) available' }).waitFor();

      const dark = await browser.context({ colorScheme: 'dark' });
      const darkPage = await signIn(dark, gateway, `/vibers/${daemon.viberId}`);
      await darkPage.getByTestId('viber-skills').getByText('4 of 4 available').waitFor();
      await screenshot(darkPage, 'viber-skills-desktop-dark');
      const mobile = await browser.context({ viewport: 'mobile' });
      const mobilePage = await signIn(mobile, gateway, `/vibers/${daemon.viberId}`);
      await mobilePage.getByTestId('viber-skills').scrollIntoViewIfNeeded();
      await mobilePage.getByTestId('viber-skills').getByText('4 of 4 available').waitFor();
      await screenshot(mobilePage, 'viber-skills-mobile-light');
    },
    UI_TIMEOUT_MS * 3,
  );
});
