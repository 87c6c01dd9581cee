import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { createTaskFromForm, waitForStatus } from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import type { RecordedRequest, ScriptTurn } from '../support/openai-test-server.ts';
import { REPO_ROOT } from '../support/processes.ts';

// Visual evidence on the board (docs/browser.md): a task on a real daemon takes a browser
// screenshot of a page served here, states a claim citing it; the board shows the image, loaded
// from GET /api/tasks/:id/screenshots/:name with the session cookie, in the tool call and in the
// report. Screenshots of it go to docs/screenshots/visual-evidence-*.png.

useE2eCleanup();

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Order confirmed</title><style>
body{font:16px system-ui,sans-serif;margin:0;background:#f4f6fb;color:#1d2025}
main{max-width:520px;margin:40px auto;padding:28px;background:#fff;border-radius:12px;box-shadow:0 2px 10px #0002}
h1{margin:0 0 8px;color:#1f8a4c}p{margin:4px 0}.total{font-size:22px;font-weight:700;margin-top:16px}
</style></head><body><main><h1>✓ Order #1042 confirmed</h1><p>2 × Blue mug</p><p>1 × Teapot</p>
<p class="total">Total: €42.00</p></main></body></html>`;

const SHOT = 'screenshot-call_shot.png';
const CLAIM = 'The order page confirms order #1042 for €42.00';

function script(url: string) {
  return (request: RecordedRequest): ScriptTurn => {
    const results = request.body.messages.filter((message) => message.role === 'tool').length;
    if (results === 0)
      return { type: 'tool-calls', calls: [{ id: 'call_open', name: 'browser_open', input: { url } }] };
    if (results === 1)
      return { type: 'tool-calls', calls: [{ id: 'call_shot', name: 'browser_screenshot', input: {} }] };
    if (results === 2) {
      return {
        type: 'tool-calls',
        calls: [
          {
            id: 'call_report',
            name: 'report',
            input: { summary: 'The order went through.', claims: [{ text: CLAIM, evidence: ['call_shot'] }] },
          },
        ],
      };
    }
    return { type: 'text', text: 'The order is confirmed; the screenshot shows it.' };
  };
}

/** The image loaded: its natural width is the screenshot's, not 0 (a broken or refused image). */
async function loadedWidth(image: Locator): Promise<number> {
  await image.scrollIntoViewIfNeeded();
  await expect
    .poll(() => image.evaluate((element) => (element as HTMLImageElement).complete), {
      timeout: UI_TIMEOUT_MS,
    })
    .toBe(true);
  return image.evaluate((element) => (element as HTMLImageElement).naturalWidth);
}

describe('visual evidence on the board', { timeout: 240_000 }, () => {
  const browser = useBrowser();
  let site: Server;
  let siteUrl: string;

  beforeAll(async () => {
    site = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE),
    );
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/order`;
  });
  afterAll(() => new Promise<void>((resolve) => site.close(() => resolve())));

  it('shows the screenshot in its tool call and in the report, loaded through the gateway', async () => {
    const stack = await startBoardStack({ script: script(siteUrl) });
    const context = await browser.context();
    const page = await signIn(context, stack.gateway);
    const errors = collectPageErrors(page);
    const taskId = await createTaskFromForm(page, {
      goal: 'Check that the order went through.',
      mode: 'Always execute',
    });
    await waitForStatus(page, 'Completed');
    const route = `/api/tasks/${encodeURIComponent(taskId)}/screenshots/${SHOT}`;

    const tool = page.locator('details[data-tool="browser_screenshot"]');
    const toolImage = tool.locator('[data-part="screenshot"] img');
    await toolImage.waitFor();
    expect(await toolImage.getAttribute('src')).toBe(route);
    expect(await toolImage.getAttribute('alt')).toBe(`browser_screenshot of ${siteUrl}`);
    expect(await loadedWidth(toolImage)).toBeGreaterThan(0);
    const link = tool.locator(`a[data-screenshot="${SHOT}"]`);
    expect(await link.getAttribute('href')).toBe(route);
    expect(await link.getAttribute('target')).toBe('_blank');

    const claim = page.getByTestId('report').locator('ol.claims > li', { hasText: CLAIM });
    await claim.getByText('✓ verified').waitFor();
    const reportImage = claim.locator(`a[data-screenshot="${SHOT}"] img`);
    expect(await reportImage.getAttribute('src')).toBe(route);
    expect(await reportImage.getAttribute('alt')).toBe(`browser_screenshot of ${siteUrl}`);
    expect(await loadedWidth(reportImage)).toBeGreaterThan(0);

    // Clicking opens the full-size image in a new tab, through the same route and cookie.
    const [tab] = await Promise.all([context.waitForEvent('page'), reportImage.click()]);
    await tab.waitForLoadState();
    expect(new URL(tab.url()).pathname).toBe(route);
    const full = await tab.evaluate(() => {
      const image = document.querySelector('img');
      return image ? image.naturalWidth : 0;
    });
    expect(full).toBeGreaterThan(0);
    await tab.close();

    // Without the session cookie the image is refused.
    const anonymous = await fetch(`${stack.gateway.url}${route}`);
    expect(anonymous.status).toBe(401);
    expect(errors).toEqual([]);

    await capture(page, 'desktop-light', claim);
    for (const [name, options] of [
      ['desktop-dark', { colorScheme: 'dark' }],
      ['mobile-light', { viewport: 'mobile', colorScheme: 'light' }],
      ['mobile-dark', { viewport: 'mobile', colorScheme: 'dark' }],
    ] as const) {
      const other = await browser.context(options);
      const view = await signIn(other, stack.gateway, `/tasks/${encodeURIComponent(taskId)}`);
      await waitForStatus(view, 'Completed');
      const otherClaim = view.getByTestId('report').locator('ol.claims > li', { hasText: CLAIM });
      expect(await loadedWidth(view.locator('details[data-tool="browser_screenshot"] img'))).toBeGreaterThan(
        0,
      );
      expect(await loadedWidth(otherClaim.locator('img'))).toBeGreaterThan(0);
      await capture(view, name, otherClaim);
    }
  });
});

/** Two views, the tool call's image and the report's, saved under test-output and docs/screenshots. */
async function capture(page: Page, name: string, claim: Locator): Promise<void> {
  const docs = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  await page.locator('details[data-tool="browser_screenshot"]').scrollIntoViewIfNeeded();
  await page
    .locator('details[data-tool="browser_screenshot"]')
    .evaluate((element) => element.scrollIntoView({ block: 'start' }));
  copyFileSync(
    await screenshot(page, `visual-evidence-tool-${name}`),
    join(docs, `visual-evidence-tool-${name}.png`),
  );
  await claim.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  copyFileSync(
    await screenshot(page, `visual-evidence-report-${name}`),
    join(docs, `visual-evidence-report-${name}.png`),
  );
}
