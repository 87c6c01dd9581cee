import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnvironmentView, TaskView } from '../../src/protocol/index.ts';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, useBrowser } from '../support/browser/browser.ts';
import { waitForStatus } from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, userText } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { stopTmuxServer } from '../support/tmux.ts';
import { waitFor } from '../support/wait.ts';

// Issue 16, item 7: what a new user hits first on the board. A fresh browser shows every task and
// each task names its environment; an environment task with secrets says why it has no terminal;
// the report card's summary agrees with its body; the sign-in page shows code as code and no
// path; the task's terminal wraps to its slot; the Terminals page's picker fits its card; and on a
// phone the task's terminal and details open from a tab.

useE2eCleanup();

const SECRET = 'edge-canary-7d1e-SECRET';

/** The model runs the command after `RUN:` in the goal with the shell tool, then says it is done. */
const commandRunner = ({ body }: { body: ChatRequestBody }): ScriptTurn =>
  lastMessage(body)?.role === 'tool'
    ? { type: 'text', text: 'The command ran.' }
    : {
        type: 'tool-calls',
        calls: [
          {
            id: 'call_run',
            name: 'shell',
            input: { command: userText(body).split('RUN:')[1]?.trim() ?? 'true' },
          },
        ],
      };

describe('a new user on the board', () => {
  const browser = useBrowser();
  let socketPath: string | undefined;
  afterEach(async () => {
    if (socketPath) await stopTmuxServer(socketPath);
  });

  it('sees every task, its environment, an honest terminal and report, on desktop and phone', async () => {
    const stack = await startBoardStack({ script: commandRunner });
    socketPath = join(stack.daemon.home, 'daemon', 'tmux.sock');
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-S', socketPath!, ...args], { encoding: 'utf8' });
    const rest = stack.gateway.rest;

    // An environment with a secret, ready on the viber; a task in it, and one without any.
    const created = await rest.request<EnvironmentView>('POST', '/api/environments', {
      body: { name: 'secret-env', type: 'manual', secrets: { API_TOKEN: SECRET } },
    });
    expect(created.status, created.text).toBe(201);
    const environment = created.body;
    await rest.request('POST', `/api/environments/${environment.id}/bindings`, {
      body: { viberId: stack.daemon.viberId },
    });
    await waitFor(
      async () =>
        (await rest.request<EnvironmentView>('GET', `/api/environments/${environment.id}`)).body.status ===
        'ready',
      { timeoutMs: 60_000, intervalMs: 100, description: 'the environment ready' },
    );
    const start = async (goal: string, environmentId?: string) => {
      const response = await rest.request<TaskView>('POST', '/api/tasks', {
        body: { goal, options: { mode: 'always-execute', ...(environmentId ? { environmentId } : {}) } },
      });
      expect(response.status, response.text).toBe(201);
      return response.body.id;
    };
    const inEnvironment = await start('Environment task: RUN: echo "token=$API_TOKEN"', environment.id);
    const plain = await start('Long line: RUN: echo "$(seq -s . 1 60)END"');

    // A fresh browser opens on every task, the environment's one and the other; the page of the
    // environment's task names it, and its terminal slot says why there is no pane.
    const page = await signIn(await browser.context(), stack.gateway, `/tasks/${inEnvironment}`);
    const errors = collectPageErrors(page);
    await waitForStatus(page, 'Completed');
    expect(await page.getByTestId('environment-switcher').inputValue()).toBe('');
    const sidebar = page.getByRole('navigation', { name: 'Tasks' });
    await sidebar.locator(`a[data-task-id="${inEnvironment}"]`).waitFor();
    await sidebar.locator(`a[data-task-id="${plain}"]`).waitFor();
    await page.getByTestId('task-environment').getByText('secret-env').waitFor();
    const side = page.getByRole('complementary', { name: 'Task details' });
    await side.getByRole('link', { name: 'secret-env' }).waitFor();
    const unused = page.getByTestId('terminal-unused');
    await unused.waitFor();
    expect(await unused.textContent()).toMatch(/secret-env.*has secrets\s*\(API_TOKEN\)/s);
    expect(await page.getByTestId('terminal-take-over').count()).toBe(0);
    // The report: no claims stated, and the evidence its tool call recorded, in both places.
    const report = page.getByTestId('report');
    expect(await report.getByTestId('report-counts').textContent()).toBe(
      'no claims stated · 1 piece of evidence',
    );
    await report.getByText('The agent stated no claims with evidence').waitFor();
    await report.getByText('All evidence (1)').waitFor();
    expect(await page.content()).not.toContain(SECRET);
    await screenshot(page, 'new-user-environment-task-desktop');

    // The task without an environment: its terminal is fitted to the slot, so tmux wraps the line.
    await page.goto(`${stack.gateway.url}/tasks/${plain}`);
    await waitForStatus(page, 'Completed');
    await page.getByTestId('task-environment').getByText('no environment').waitFor();
    const panel = side.locator('[data-testid="terminal-panel"][data-status="live"]');
    await panel.waitFor();
    const session = `=task-${plain}:`;
    await waitFor(() => Number(tmux('display', '-p', '-t', session, '#{pane_width}').trim()) < 60, {
      description: 'the task pane resized to the slot',
    });
    await panel.locator('.xterm-rows', { hasText: 'END' }).waitFor();
    await expectNoSidewaysScroll(panel.locator('.screen'));
    await screenshot(page, 'new-user-task-terminal-wrapped-desktop');

    // The Terminals page: the picker's list, field and button stay inside their card.
    const terminal = await rest.client.connectTerminal();
    await terminal.request({
      type: 'terminal:create',
      viberId: stack.daemon.viberId,
      session: 'a-rather-long-session-name-for-the-picker',
    });
    await terminal.close();
    for (const viewport of ['desktop', 'mobile'] as const) {
      const terminals =
        viewport === 'desktop'
          ? page
          : await signIn(await browser.context({ viewport: 'mobile' }), stack.gateway, '/terminals');
      if (viewport === 'desktop') await terminals.goto(`${stack.gateway.url}/terminals`);
      await terminals.getByTestId('terminal-viber').selectOption(stack.daemon.viberId);
      await terminals.locator('[data-pane-target^="a-rather-long-session-name"]').waitFor();
      const picker = terminals.getByRole('navigation', { name: 'Panes' });
      const card = await picker.boundingBox();
      for (const inside of [
        terminals.getByRole('button', { name: 'Create' }),
        terminals.getByTestId('terminal-new-session'),
        terminals.getByTestId('terminal-viber'),
        ...(await terminals.getByTestId('terminal-pane').all()),
      ]) {
        const box = await inside.boundingBox();
        expect(box!.x + box!.width).toBeLessThanOrEqual(card!.x + card!.width + 0.5);
      }
      expect(await terminals.getByTestId('terminal-viber').getAttribute('class')).toContain('input');
      await screenshot(terminals, `new-user-terminals-picker-${viewport}`);
    }

    // On a phone the task's terminal and details open from a tab.
    const phone = await signIn(
      await browser.context({ viewport: 'mobile' }),
      stack.gateway,
      `/tasks/${plain}`,
    );
    const phoneErrors = collectPageErrors(phone);
    await waitForStatus(phone, 'Completed');
    const phoneSide = phone.getByRole('complementary', { name: 'Task details' });
    expect(await phoneSide.isVisible()).toBe(false);
    await screenshot(phone, 'new-user-task-conversation-mobile');
    await phone.getByRole('tab', { name: 'Terminal and details' }).click();
    await phoneSide.getByRole('heading', { name: 'Details' }).waitFor();
    const phonePanel = phoneSide.locator('[data-testid="terminal-panel"][data-status="live"]');
    await phonePanel.waitFor();
    await phonePanel.locator('.xterm-rows', { hasText: 'END' }).waitFor();
    await expectNoSidewaysScroll(phonePanel.locator('.screen'));
    expect(await phone.getByTestId('conversation').isVisible()).toBe(false);
    await screenshot(phone, 'new-user-task-terminal-mobile');
    await phone.goto(`${stack.gateway.url}/tasks/${inEnvironment}`);
    await phone.getByRole('tab', { name: 'Terminal and details' }).click();
    await phone.getByTestId('terminal-unused').waitFor();
    await phone.getByTestId('task-environment').getByText('secret-env').waitFor();
    await screenshot(phone, 'new-user-environment-task-mobile');
    await phone.getByRole('tab', { name: 'Conversation' }).click();
    await phone.getByTestId('report-counts').waitFor();

    expect(errors).toEqual([]);
    expect(phoneErrors).toEqual([]);
  });

  it('shows the sign-in help as code, with both ways to start and no path of the machine', async () => {
    const stack = await startBoardStack({ script: [] });
    for (const viewport of ['desktop', 'mobile'] as const) {
      const page = await (await browser.context({ viewport })).newPage();
      // A spent or made-up link: the error says how to get another, with commands as code.
      await page.goto(`${stack.gateway.url}/login#code=not-a-real-code`);
      await page.getByText(/already used or has expired/).waitFor();
      const help = page.getByTestId('sign-in-help');
      const codes = await page.locator('main code').allTextContents();
      expect(codes).toEqual(
        expect.arrayContaining([
          'viber login-link',
          'npm start',
          'viber up',
          'npm run viber -- login-link',
          'OPENVIBER_HOME',
          '~/.openviber',
        ]),
      );
      expect(await page.locator('main').textContent()).not.toContain('`');
      expect(await help.textContent()).not.toContain(stack.daemon.home);
      await screenshot(page, `new-user-sign-in-${viewport}`);
    }
  });
});

/** The terminal's screen fits its panel: nothing is cut off at the right edge. */
async function expectNoSidewaysScroll(screen: ReturnType<Page['locator']>): Promise<void> {
  await waitFor(async () => screen.evaluate((element) => element.scrollWidth <= element.clientWidth + 1), {
    description: 'the terminal within its panel',
  });
}
