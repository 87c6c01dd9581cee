import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { waitForStatus } from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, userText } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { makeTempDir } from '../support/temp-dirs.ts';

// Issue 6, "How it must be shown", last sentence: a browser creates an environment through the
// form, maps it to a viber and watches it prepare, and starts a task in it; the canary secret is
// nowhere on the board's pages or in any answer the board received.

useE2eCleanup();

const CANARY = 'brd-canary-5e1f-SECRET-0c9d';

function bareRepository(): string {
  const dir = makeTempDir('repo');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '--initial-branch=main', 'work');
  execFileSync('bash', ['-c', 'echo "board v1" > work/app.txt'], { cwd: dir });
  git('-C', 'work', 'add', '.');
  git('-C', 'work', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-m', 'first');
  git('clone', '--bare', 'work', 'remote.git');
  return join(dir, 'remote.git');
}

/** The model runs the command after `RUN:` in the goal with the shell tool, then says it is done. */
const commandRunner = ({ body }: { body: ChatRequestBody }): ScriptTurn =>
  lastMessage(body)?.role === 'tool'
    ? { type: 'text', text: 'The command ran.' }
    : {
        type: 'tool-calls',
        calls: [
          {
            id: 'call_shell_1',
            name: 'shell',
            input: { command: userText(body).split('RUN:')[1]?.trim() ?? 'true' },
          },
        ],
      };

describe('environments on the board', () => {
  const browser = useBrowser();

  it(
    'creates an environment through the form, maps it, and starts a task in it',
    async () => {
      const stack = await startBoardStack({ script: commandRunner });
      const remote = bareRepository();
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      const errors = collectPageErrors(page);
      const answers: string[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/api/'))
          void response.text().then(
            (text) => answers.push(text),
            () => undefined,
          );
      });

      // The form: four parts, validation before anything is stored.
      await page.getByTestId('create-environment').click();
      await page.waitForURL(/\/environments\/new$/);
      await page.getByLabel('Name').fill('board-env');
      await page.getByLabel('Repository URL').fill(remote);
      await page.getByLabel('Branch').fill('main');
      await page
        .getByLabel('Setup script')
        .fill('echo "prepared $(cat app.txt)" > .marker\necho "setup token $API_TOKEN"');
      await page.getByRole('button', { name: '+ Variable' }).click();
      await page.getByLabel('Variable name').fill('1BAD');
      await page.getByText('"1BAD" is not a valid variable name').waitFor();
      expect(await page.getByRole('button', { name: 'Create environment' }).isDisabled()).toBe(true);
      await page.getByLabel('Variable name').fill('GREETING');
      await page.getByLabel('Value of GREETING').fill('hello-board');
      await page.getByRole('button', { name: '+ Secret' }).click();
      await page.getByLabel('Secret name').fill('API_TOKEN');
      await page.getByLabel('Secret value of API_TOKEN').fill(CANARY);
      await page.getByRole('button', { name: 'Validate script and repository' }).click();
      const checks = page.getByTestId('validation-checks');
      await checks.getByText('bash -n found no syntax error').waitFor();
      await checks.getByText(/is reachable from the gateway \(branch main\)/).waitFor();
      await page.getByRole('button', { name: 'Create environment' }).click();
      await page.waitForURL(/\/environments\/env_/);
      await page.getByRole('heading', { name: 'board-env' }).waitFor();
      await page.locator('[data-status="unmapped"]').first().waitFor();
      expect((await page.getByTestId('secret-list').textContent())?.trim()).toBe('API_TOKEN=••••••••');

      // Map to Viber: the status goes to Ready live, the log shows the setup, secret redacted.
      await page.getByRole('button', { name: 'Prepare environment' }).click();
      await page
        .getByTestId('binding-status')
        .locator('[data-status="ready"]')
        .waitFor({ timeout: UI_TIMEOUT_MS });
      await page.getByTestId('prepare-log').getByText('setup token [redacted:API_TOKEN]').waitFor();
      await page.locator('.page-header [data-status="ready"]').waitFor();
      await screenshot(page, 'environment-ready');

      // A task in the environment, started from the board with no command typed on the machine.
      await page.getByTestId('new-task-in-environment').click();
      await page.waitForURL(/\/new\?environment=env_/);
      const form = page.getByRole('form', { name: 'New task' });
      expect(await form.getByLabel('Environment').inputValue()).toMatch(/^env_/);
      await page
        .getByLabel('Goal')
        .fill('Please RUN: cat .marker; echo "$GREETING"; echo "token=$API_TOKEN"');
      await form.getByText('Always execute').click();
      await page.getByTestId('start-task').click();
      await page.waitForURL(/\/tasks\/task_/);
      await waitForStatus(page, 'Completed');
      const conversation = page.getByTestId('conversation');
      await conversation.getByText('The command ran.').waitFor();
      const taskId = page.url().split('/tasks/')[1]!;
      const { task } = await stack.gateway.rest.getTask(taskId);
      expect(task.options.environmentId).toMatch(/^env_/);
      const toolOutput = JSON.stringify(task.result) + (await page.content());
      expect(toolOutput).not.toContain(CANARY);

      // The sidebar: the environment chosen by "+ New task here", with its pill; its task listed;
      // the task's page names its environment.
      expect(await page.getByTestId('environment-switcher').inputValue()).toBe(task.options.environmentId);
      await page.getByTestId('task-environment').getByText('board-env').waitFor();
      await page
        .getByRole('link', { name: /Please RUN/ })
        .first()
        .waitFor();

      // Every page that shows the environment or the task, once loaded (the board keeps a live
      // connection open, so "loaded" is the content being there, not an idle network).
      const pages: Array<[string, () => Promise<void>]> = [
        ['/environments', () => page.getByRole('link', { name: 'board-env', exact: true }).waitFor()],
        [
          `/environments/${task.options.environmentId}`,
          () => page.getByTestId('prepare-log').getByText('ready in').waitFor(),
        ],
        [`/tasks/${taskId}`, () => page.getByTestId('conversation').getByText('The command ran.').waitFor()],
      ];
      for (const [path, loaded] of pages) {
        await page.goto(`${stack.gateway.url}${path}`);
        await loaded();
        expect(await page.content()).not.toContain(CANARY);
      }
      expect(answers.length).toBeGreaterThan(5);
      expect(answers.filter((text) => text.includes(CANARY))).toEqual([]);
      expect(errors).toEqual([]);
    },
    UI_TIMEOUT_MS * 4,
  );
});
