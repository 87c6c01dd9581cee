import { describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, useBrowser } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';

// Hardening issue, item 11: the /terminals page was linked from nowhere. The sidebar's board
// navigation (beside Vibers) leads there, on desktop and on a phone, where the home page is the
// sidebar itself.

useE2eCleanup();

describe('board navigation', () => {
  const browser = useBrowser();

  it('leads from the home page to the terminals page', async () => {
    const stack = await startBoardStack({ script: [] });

    const desktop = await signIn(await browser.context(), stack.gateway);
    const errors = collectPageErrors(desktop);
    const nav = desktop.getByRole('navigation', { name: 'Board' });
    await nav.getByRole('link', { name: /Vibers/ }).waitFor();
    await nav.getByRole('link', { name: /Terminals/ }).click();
    await desktop.waitForURL((url) => url.pathname === '/terminals');
    await desktop.getByRole('heading', { level: 1, name: 'Terminals' }).waitFor();
    await desktop.getByTestId('terminal-viber').waitFor();
    expect(await nav.getByRole('link', { name: /Terminals/ }).getAttribute('aria-current')).toBe('page');
    await screenshot(desktop, 'navigation-terminals-desktop');
    expect(errors).toEqual([]);

    const phone = await signIn(await browser.context({ viewport: 'mobile' }), stack.gateway);
    const phoneLink = phone
      .getByRole('navigation', { name: 'Board' })
      .getByRole('link', { name: /Terminals/ });
    await phoneLink.waitFor();
    await screenshot(phone, 'navigation-home-mobile');
    await phoneLink.click();
    await phone.waitForURL((url) => url.pathname === '/terminals');
    await phone.getByRole('heading', { level: 1, name: 'Terminals' }).waitFor();
    await screenshot(phone, 'navigation-terminals-mobile');
  });
});
