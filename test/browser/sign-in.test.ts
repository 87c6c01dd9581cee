import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLoginLink, signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, launchBrowser, newContext, UI_TIMEOUT_MS } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';

// Issue 4, item 1: a one-time link signs in; every page and API call refuses without a session.

useE2eCleanup();

describe('board sign-in', { timeout: UI_TIMEOUT_MS * 4 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('refuses pages and the API without a session, then signs in once through the link', async () => {
    const stack = await startBoardStack({ script: [] });
    const context = await newContext(browser);
    const page = await context.newPage();
    const errors = collectPageErrors(page);

    // No session: a page redirects to sign-in, and the API answers 401.
    await page.goto(`${stack.gateway.url}/vibers`);
    await page.waitForURL(/\/login\?next=%2Fvibers$/);
    await page.getByRole('heading', { name: 'Sign in to the Viber Board' }).waitFor();
    const refused = await page.request.get(`${stack.gateway.url}/api/tasks`);
    expect(refused.status()).toBe(401);

    // The one-time link signs in and lands where the browser was going.
    const link = await mintLoginLink(stack.gateway);
    await page.goto(`${link.replace('/login#', '/login?next=%2Fvibers#')}`);
    await page.waitForURL(`${stack.gateway.url}/vibers`);
    await page.getByRole('cell', { name: new RegExp(stack.viberName) }).waitFor();
    expect((await page.request.get(`${stack.gateway.url}/api/tasks`)).status()).toBe(200);
    const cookie = (await context.cookies()).find((entry) => entry.name === 'openviber_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // The same link does not work twice, and says what to do.
    const other = await newContext(browser);
    const second = await other.newPage();
    await second.goto(link);
    await second.getByText(/already used or has expired/).waitFor();
    await other.close();

    // Signing out ends the session: the API refuses the old cookie.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login\?signedOut=1/);
    const stale = await page.request.get(`${stack.gateway.url}/api/tasks`, {
      headers: { cookie: `openviber_session=${cookie!.value}` },
    });
    expect(stale.status()).toBe(401);
    expect(errors.filter((error) => !error.includes('401'))).toEqual([]);
    await context.close();
  });

  it('signs in with the operator token typed by hand, and offers to sign in again when the session ends', async () => {
    const stack = await startBoardStack({ script: [] });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${stack.gateway.url}/login`);
    await page.getByLabel('Operator token').fill('ovo_not-the-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/that is not (the|an) operator token/).waitFor();
    await page.getByLabel('Operator token').fill(stack.gateway.operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.gateway.url}/`);
    await page.getByRole('heading', { name: 'New task' }).waitFor();

    // The session ends behind the board's back (expired, or signed out elsewhere): the next call
    // says so, offers to sign in again, and comes back to the same page.
    await context.clearCookies();
    await page.getByLabel('Goal').fill('Anything at all');
    await page.getByTestId('start-task').click();
    await page.getByText('The task was not started').waitFor();
    await page.getByTestId('sign-in-again').click();
    await page.waitForURL(/\/login$/);
    await page.getByLabel('Operator token').fill(stack.gateway.operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.gateway.url}/`);
    await page.getByLabel('Goal').fill('Now it works');
    await page.getByTestId('start-task').click();
    await page.waitForURL(/\/tasks\/task_/);
    expect(await page.getByTestId('sign-in-again').count()).toBe(0);

    // A page loaded without a session goes to sign-in and back to where it was going.
    await context.clearCookies();
    await page.goto(`${stack.gateway.url}/vibers`);
    await page.waitForURL(/\/login\?next=%2Fvibers/);
    await signIn(context, stack.gateway, '/vibers');
    await context.close();
  });
});
