import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import {
  launchBrowser,
  newContext,
  screenshot,
  UI_TIMEOUT_MS,
  type ViewportName,
} from '../support/browser/browser.ts';
import { agentText, waitForStatus } from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, makeFixtureDir, TOOL_NAME } from '../support/e2e-fixtures.ts';
import type { RecordedRequest, ScriptTurn } from '../support/openai-test-server.ts';
import { createGate } from '../support/wait.ts';

// Issue 4: screenshots of the main pages, desktop (1440x900) and mobile (390x844), light and dark,
// under test-output/screenshots (docs/screenshots holds a reviewed copy).

useE2eCleanup();

const FINAL = `## What is in the folder

The folder holds **two files**, both plain text:

- \`alpha.txt\`: one line, \`alpha\`
- \`beta.txt\`: one line, \`beta\`

Nothing else is there, so there is nothing to clean up.`;

/** A task that plans, lists a folder, states a claim citing that call, then answers in Markdown. */
function richScript(failDir: string, askDir: string) {
  return (request: RecordedRequest): ScriptTurn => {
    const system = JSON.stringify(request.body.messages[0]?.content ?? '');
    if (system.includes(failDir))
      return { type: 'error', status: 500, message: 'the model server is overloaded' };
    const toolResults = request.body.messages.filter((message) => message.role === 'tool').length;
    if (system.includes(askDir)) {
      return lastMessage(request.body)?.role === 'tool'
        ? { type: 'text', text: 'Done.' }
        : { type: 'tool-calls', calls: [{ id: 'call_ask', name: 'shell', input: { command: 'npm test' } }] };
    }
    if (toolResults === 0) {
      return {
        type: 'tool-calls',
        text: 'I will plan, then look at the folder.',
        calls: [
          {
            id: 'call_plan',
            name: 'plan',
            input: {
              steps: [
                { id: '1', title: 'List the folder', status: 'in_progress' },
                { id: '2', title: 'Describe what is there', status: 'pending' },
                { id: '3', title: 'Report with evidence', status: 'pending' },
              ],
            },
          },
          { id: 'call_list', name: TOOL_NAME, input: { path: '.' } },
        ],
      };
    }
    if (toolResults === 2) {
      return {
        type: 'tool-calls',
        calls: [
          {
            id: 'call_plan_done',
            name: 'plan',
            input: {
              updates: [
                { id: '1', status: 'done' },
                { id: '2', status: 'done' },
                { id: '3', status: 'done' },
              ],
            },
          },
          {
            id: 'call_report',
            name: 'report',
            input: {
              summary: 'Listed the folder: it holds two small text files and nothing else.',
              claims: [
                { text: 'The folder holds exactly alpha.txt and beta.txt', evidence: ['call_list'] },
                { text: 'Both files are under 10 bytes', evidence: [] },
              ],
            },
          },
        ],
      };
    }
    return { type: 'text', text: FINAL };
  };
}

const SHOTS: { viewport: ViewportName; scheme: 'light' | 'dark' }[] = [
  { viewport: 'desktop', scheme: 'light' },
  { viewport: 'desktop', scheme: 'dark' },
  { viewport: 'mobile', scheme: 'light' },
  { viewport: 'mobile', scheme: 'dark' },
];

describe('board screenshots', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(
    'captures the main pages at desktop and mobile width, light and dark',
    async () => {
      const dirs = { rich: makeFixtureDir(), fail: makeFixtureDir(), ask: makeFixtureDir() };
      const stack = await startBoardStack({
        script: richScript(dirs.fail, dirs.ask),
        viberName: 'build-box',
      });
      const rest = stack.gateway.rest;
      const viberId = stack.daemon.viberId;
      const never = createGate();
      const failed = await rest.createTask({
        goal: 'Summarise the release notes',
        viberId,
        options: { cwd: dirs.fail },
      });
      const rich = await rest.createTask({
        goal: 'List the files in this folder and describe them',
        viberId,
        options: { cwd: dirs.rich, mode: 'always-execute', model: 'custom/test-model' },
      });
      const asking = await rest.createTask({
        goal: 'Run the test suite and fix what fails',
        viberId,
        options: { cwd: dirs.ask, mode: 'always-ask' },
      });
      // The daemon's config validation, so the viber page has results to show.
      await rest.request('POST', `/api/vibers/${viberId}/config-push`);

      for (const { viewport, scheme } of SHOTS) {
        const context = await newContext(browser, { viewport, colorScheme: scheme });
        const suffix = `${viewport}-${scheme}`;
        const page = await context.newPage();
        await page.goto(`${stack.gateway.url}/login`);
        await page.getByLabel('Operator token').waitFor();
        await shoot(page, `login-${suffix}`);
        await page.close();

        const board = await signIn(context, stack.gateway, '/');
        if (viewport === 'desktop') await board.getByLabel('Goal').waitFor();
        await board.getByText('Run the test suite and fix what fails').first().waitFor();
        await shoot(board, `home-${suffix}`);

        await board.goto(`${stack.gateway.url}/new`);
        await board.getByLabel('Goal').fill('Upgrade the dependencies and make sure the tests still pass.');
        await shoot(board, `new-task-${suffix}`);

        await board.goto(`${stack.gateway.url}/tasks/${rich.id}`);
        await waitForStatus(board, 'Completed');
        await agentText(board, 'two files').waitFor();
        await board.getByTestId('report').waitFor();
        await shoot(board, `task-${suffix}`);
        await board.getByTestId('report').scrollIntoViewIfNeeded();
        await shoot(board, `task-report-${suffix}`);

        await board.goto(`${stack.gateway.url}/tasks/${asking.id}`);
        await board.getByTestId('approval-prompt').waitFor();
        await shoot(board, `task-approval-${suffix}`);

        await board.goto(`${stack.gateway.url}/tasks/${failed.id}`);
        await waitForStatus(board, 'Error');
        await shoot(board, `task-error-${suffix}`);

        await board.goto(`${stack.gateway.url}/vibers`);
        await board.getByRole('cell', { name: /build-box/ }).waitFor();
        await shoot(board, `vibers-${suffix}`);

        await board.goto(`${stack.gateway.url}/vibers/${viberId}`);
        await board.getByRole('cell', { name: 'Model keys' }).waitFor();
        await shoot(board, `viber-${suffix}`);
        await context.close();
      }
      never.open();
      expect((await rest.getTask(asking.id)).task.status).toBe('running');
    },
    UI_TIMEOUT_MS * 8,
  );
});

async function shoot(page: Page, name: string): Promise<void> {
  // Let fonts and the last frame settle; a screenshot is of what a person would see.
  await page.evaluate(() => document.fonts.ready);
  await screenshot(page, name);
}
