import { describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';

// Issue 4, items 5 and 6: vibers' status pushed live (no polling, no reload): a viber going
// offline and coming back shows on its page and in the sidebar's health summary as it happens.

useE2eCleanup();

describe('viber presence', () => {
  const browser = useBrowser();

  it(
    'shows a viber going offline and online live, and pushes its config',
    async () => {
      const stack = await startBoardStack({ script: [], viberName: 'build-box' });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway, `/vibers/${stack.daemon.viberId}`);
      const presence = page.getByTestId('viber-presence');
      await page.getByRole('heading', { name: 'build-box' }).waitFor();
      await presence.getByText('Online').waitFor();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      const health = page.getByRole('link', { name: /Vibers: 1 online, 0 busy, 0 offline/ });
      await health.waitFor();
      // From here on, every change must come over the event stream: record what the page fetches.
      const requests: string[] = [];
      page.on('request', (request) => requests.push(new URL(request.url()).pathname));

      // Push config: the daemon pulls, validates and answers; the page shows the result live.
      await page.getByTestId('config-push').click();
      await page.getByText(/build-box validated its config/).waitFor();
      await page.getByRole('cell', { name: 'Model keys' }).waitFor();

      await stack.daemon.process.kill('SIGKILL');
      await presence.getByText('Offline').waitFor();
      await page.getByRole('link', { name: /Vibers: 0 online, 0 busy, 1 offline/ }).waitFor();
      expect(await page.getByTestId('config-push').isDisabled()).toBe(true);

      const restarted = await stack.restartDaemon();
      await restarted.waitForConnection();
      await presence.getByText('Online').waitFor();
      await health.waitFor();
      // All of it arrived on the one event stream: the page fetched nothing to learn it. (The Ports
      // card asks the viber itself what listens, which no event can tell: docs/ports.md.)
      const fetched = requests.filter((path) => path.startsWith('/api/vibers'));
      expect(fetched.filter((path) => !path.endsWith('/config-push') && !path.endsWith('/ports'))).toEqual(
        [],
      );
    },
    UI_TIMEOUT_MS * 3,
  );
});
