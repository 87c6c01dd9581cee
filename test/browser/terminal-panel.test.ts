import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, useBrowser } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { stopTmuxServer } from '../support/tmux.ts';
import { waitFor } from '../support/wait.ts';

// Issue 5, "How it must be shown": a browser types into the xterm panel and sees the output.

useE2eCleanup();

describe('terminal panel', () => {
  const browser = useBrowser();
  let socketPath: string | undefined;
  afterEach(async () => {
    if (socketPath) await stopTmuxServer(socketPath);
  });

  it('picks a pane, types into xterm and sees the output', async () => {
    const stack = await startBoardStack({ script: [] });
    socketPath = join(stack.daemon.home, 'daemon', 'tmux.sock');
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-S', socketPath!, ...args], { encoding: 'utf8' });
    const terminal = await stack.gateway.rest.client.connectTerminal();
    await terminal.request({
      type: 'terminal:create',
      viberId: stack.daemon.viberId,
      session: 'web',
      cols: 100,
      rows: 30,
    });
    await terminal.close();
    await waitFor(() => tmux('capture-pane', '-p', '-t', '=web:').trim().length > 0, {
      description: 'a prompt',
    });

    const context = await browser.context();
    const page = await signIn(context, stack.gateway, '/terminals');
    const errors = collectPageErrors(page);
    await page.getByTestId('terminal-viber').selectOption(stack.daemon.viberId);
    await page.locator('[data-pane-target="web:0.0"]').click();
    const panel = page.locator('[data-testid="terminal-panel"][data-status="live"]');
    await panel.waitFor();
    await panel.locator('.xterm').click();
    await page.keyboard.type('echo panel-$((20+22))');
    await page.keyboard.press('Enter');
    await panel.locator('.xterm-rows', { hasText: 'panel-42' }).waitFor();
    // The pane itself, read by tmux, shows the command and its output too.
    await waitFor(() => tmux('capture-pane', '-p', '-t', '=web:').includes('\npanel-42'), {
      description: 'output in tmux',
    });

    // A paste (xterm wraps it in bracketed-paste markers, since bash asked for them) whose `%s`
    // tmux would read as a directive if a word were left unquoted: the pane prints x.
    const paneLines = () => tmux('capture-pane', '-p', '-t', '=web:').split('\n');
    await panel.locator('.xterm-helper-textarea').evaluate((textarea) => {
      const data = new DataTransfer();
      data.setData('text/plain', "printf '%s\\n' 'x'");
      textarea.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
      );
    });
    await page.keyboard.press('Enter');
    await waitFor(() => paneLines().includes('x'), { description: 'x printed in the pane' });

    // Typing that the viber cannot deliver is shown, and the panel stays live: the window is
    // renumbered, so the panel's `web:0.0` names nothing while the pane itself lives on.
    tmux('move-window', '-s', '=web:0', '-t', '=web:7');
    await page.keyboard.type('z');
    await page
      .locator('[data-testid="terminal-panel"][data-status="live"] [data-testid="terminal-input-error"]', {
        hasText: 'not_found',
      })
      .waitFor();
    expect(errors).toEqual([]);
  });
});
