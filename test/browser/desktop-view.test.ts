import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ViberView } from '../../src/protocol/index.ts';
import { signIn } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// The live desktop view (docs/desktop.md, "Live view"): `viber start --desktop --vnc` as a
// process starts its own Xvfb and a VNC server on a private Unix socket; the board's viber page
// shows the screen in noVNC, relayed through the gateway. The view is read-only: a click is
// refused (the board says so) and never reaches the X server; after Take over the pointer moves.

useE2eCleanup();

const VNC_LINE = /desktop: live view through the gateway \(VNC on (\S+), pid (\d+)\)/;
const XVFB_LINE = /desktop: started Xvfb on (:\d+) \(pid (\d+)\)/;

function pointer(display: string): { x: number; y: number } {
  const out = execFileSync('xdotool', ['getmouselocation', '--shell'], {
    env: { ...process.env, DISPLAY: display },
  });
  const value = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(out.toString())?.[1]);
  return { x: value('X'), y: value('Y') };
}

/** How many of the canvas's sampled pixels are the xterm's red (the desktop is otherwise black). */
function redPixels(page: Page): Promise<number> {
  return page.locator('[data-testid="desktop-screen"] canvas').evaluate((canvas) => {
    const element = canvas as HTMLCanvasElement;
    const context = element.getContext('2d');
    if (!context || element.width === 0) return 0;
    const { data } = context.getImageData(0, 0, element.width, element.height);
    let red = 0;
    for (let index = 0; index < data.length; index += 4 * 97) {
      if (data[index]! > 180 && data[index + 1]! < 60 && data[index + 2]! < 60) red += 1;
    }
    return red;
  });
}

describe('the live desktop view', { timeout: 240_000 }, () => {
  const browser = useBrowser();

  it('shows the desktop read-only, refuses input, and lets the operator take over', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'done' }) });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'desktop-viber',
      args: ['--desktop', '--vnc'],
      env: { DISPLAY: undefined },
    });
    const [, display = '', xvfbPid] = await daemon.process.waitForLine(XVFB_LINE);
    const [, socketPath, vncPid] = await daemon.process.waitForLine(VNC_LINE);
    onCleanup(() => {
      for (const pid of [Number(vncPid), Number(xvfbPid)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    });
    expect(socketPath).toMatch(/openviber-vnc-[^/]+\/vnc\.sock$/);
    const viber = (await gateway.rest.getViber(daemon.viberId)) as ViberView;
    expect(viber.info?.capabilities).toEqual(expect.arrayContaining(['desktop', 'desktop-view']));

    // Something to see: a red xterm on the black root window.
    const xterm = spawn('xterm', ['-bg', 'red', '-geometry', '80x20+0+0', '-e', 'sleep 600'], {
      env: { ...process.env, DISPLAY: display },
      stdio: 'ignore',
    });
    onCleanup(() => {
      xterm.kill('SIGKILL');
    });
    execFileSync('xdotool', ['search', '--sync', '--onlyvisible', '--class', 'xterm'], {
      env: { ...process.env, DISPLAY: display },
    });
    execFileSync('xdotool', ['mousemove', '1200', '700'], { env: { ...process.env, DISPLAY: display } });

    const context = await browser.context();
    const page = await signIn(context, gateway, `/vibers/${daemon.viberId}`);
    const errors = collectPageErrors(page);
    const card = page.getByTestId('viber-desktop');
    await card.getByTestId('desktop-open').click();
    await expect
      .poll(() => card.getByTestId('desktop-access').textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe('Read-only');
    // The screen arrives: the canvas shows the xterm's red.
    await expect.poll(() => redPixels(page), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(50);

    // Read-only: a click on the screen is refused and the desktop's pointer does not move.
    const canvas = card.locator('[data-testid="desktop-screen"] canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (!box) throw new Error('the desktop canvas has no box');
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
    await card.getByText('This is a read-only view: take over to use the mouse and keyboard.').waitFor();
    expect(pointer(display)).toEqual({ x: 1200, y: 700 });
    await shoot(page, 'desktop-read-only');

    // Take over: now the pointer follows the mouse on the screen.
    await card.getByTestId('desktop-take-over').click();
    await expect
      .poll(() => card.getByTestId('desktop-access').textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe('You are in control');
    // The notice that went away moved the canvas: measure it again, in view.
    await canvas.scrollIntoViewIfNeeded();
    const inControl = await canvas.boundingBox();
    if (!inControl) throw new Error('the desktop canvas has no box');
    await page.mouse.move(inControl.x + inControl.width * 0.5, inControl.y + inControl.height * 0.5);
    await page.mouse.click(inControl.x + inControl.width * 0.5, inControl.y + inControl.height * 0.5);
    // The middle of the canvas is the middle of the 1280-pixel screen; the pointer started at 1200.
    await expect
      .poll(
        () => {
          const { x } = pointer(display);
          return x > 500 && x < 780;
        },
        { timeout: UI_TIMEOUT_MS },
      )
      .toBe(true);
    await shoot(page, 'desktop-control');

    // Release: read-only again.
    await card.getByTestId('desktop-release').click();
    await expect
      .poll(() => card.getByTestId('desktop-access').textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe('Read-only');

    const mobile = await browser.context({ viewport: 'mobile', colorScheme: 'dark' });
    const phone = await signIn(mobile, gateway, `/vibers/${daemon.viberId}`);
    await phone.getByTestId('desktop-open').click();
    await expect.poll(() => redPixels(phone), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(5);
    await phone.getByTestId('viber-desktop').scrollIntoViewIfNeeded();
    await shoot(phone, 'desktop-mobile-dark');
    expect(errors).toEqual([]);
  });

  it('shows a desktop_screenshot in its tool call on the task page', async () => {
    const model = await startModelServer({
      script: ({ body }: { body: ChatRequestBody }): ScriptTurn =>
        body.messages.some((message) => message.role === 'tool')
          ? { type: 'text', text: 'The desktop is on screen.' }
          : { type: 'tool-calls', calls: [{ id: 'call_shot', name: 'desktop_screenshot', input: {} }] },
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'desktop-viber',
      args: ['--desktop'],
      env: { DISPLAY: undefined },
    });
    const [, display = '', xvfbPid] = await daemon.process.waitForLine(XVFB_LINE);
    onCleanup(() => {
      try {
        process.kill(Number(xvfbPid), 'SIGKILL');
      } catch {}
    });
    const xterm = spawn('xterm', ['-bg', 'red', '-geometry', '80x20+0+0', '-e', 'sleep 600'], {
      env: { ...process.env, DISPLAY: display },
      stdio: 'ignore',
    });
    onCleanup(() => {
      xterm.kill('SIGKILL');
    });
    execFileSync('xdotool', ['search', '--sync', '--onlyvisible', '--class', 'xterm'], {
      env: { ...process.env, DISPLAY: display },
    });
    const task = await gateway.rest.createTask({
      goal: 'Take a screenshot of the desktop.',
      viberId: daemon.viberId,
      options: { mode: 'always-execute' },
    });
    await waitForTaskStatus(gateway.rest, task.id, 'completed');
    const context = await browser.context();
    const page = await signIn(context, gateway, `/tasks/${task.id}`);
    const image = page.locator('details[data-tool="desktop_screenshot"] [data-part="screenshot"] img');
    await image.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await image.getAttribute('src')).toBe(
      `/api/tasks/${encodeURIComponent(task.id)}/screenshots/screenshot-call_shot.png`,
    );
    await image.scrollIntoViewIfNeeded();
    await expect
      .poll(() => image.evaluate((element) => (element as HTMLImageElement).naturalWidth), {
        timeout: UI_TIMEOUT_MS,
      })
      .toBe(1280);
    await shoot(page, 'desktop-screenshot-tool');
  });

  it('says how to get a live view on a viber started without --vnc', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'done' }) });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'plain-viber' });
    const context = await browser.context();
    const page = await signIn(context, gateway, `/vibers/${daemon.viberId}`);
    const card = page.getByTestId('viber-desktop');
    await card.getByText('No live view. Start the viber with viber start --desktop --vnc').waitFor();
    expect(await card.getByTestId('desktop-open').count()).toBe(0);
  });
});

async function shoot(page: Page, name: string): Promise<void> {
  const path = await screenshot(page, `viber-${name}`);
  const docs = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  copyFileSync(path, join(docs, `viber-${name}.png`));
}
