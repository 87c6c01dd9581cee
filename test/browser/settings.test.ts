import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signIn } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { REPO_ROOT, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// The Settings page (docs/settings.md): the model of a running daemon changes from the board, the
// next task reaches the model server with the new model and the stored key, and the key is never
// shown again: not on the page, in an API answer, a log line or `viber status`.

useE2eCleanup();

const CANARY = 'sk-board-canary-Qx81-never-shown';

/** A daemon home whose config.json names a model: the layer the gateway's settings override. */
function daemonHome(baseURL: string): string {
  const home = makeTempDir('daemon');
  mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
  const config = { model: 'custom/file-model', providers: { custom: { baseURL } } };
  writeFileSync(join(home, 'config', 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return home;
}

async function runTask(gateway: GatewayHandle, viberId: string, goal: string): Promise<void> {
  const task = await gateway.rest.createTask({ goal, viberId });
  await waitFor(
    async () => {
      const { task: current } = await gateway.rest.getTask(task.id);
      if (current.status === 'error') throw new Error(`task failed: ${current.error}`);
      return current.status === 'completed';
    },
    { timeoutMs: UI_TIMEOUT_MS, description: `task ${task.id} to complete` },
  );
}

async function shoot(page: Page, name: string): Promise<void> {
  const path = await screenshot(page, name);
  const docs = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  copyFileSync(path, join(docs, `${name}.png`));
}

describe('the Settings page', () => {
  const browser = useBrowser();

  it(
    "changes a running daemon's model, keeps the key write-only, and shows what each viber uses",
    async () => {
      const model = await startModelServer({ script: () => ({ type: 'text', text: 'Done.' }) });
      const debug = { OPENVIBER_LOG_LEVEL: 'debug' };
      const gateway = await spawnGateway({ env: debug });
      // No model variables: the daemon starts on its config.json.
      const daemon = await spawnViberFor(gateway, {
        home: daemonHome(model.baseURL),
        modelBaseURL: model.baseURL,
        name: 'build-box',
        env: { ...debug, OPENVIBER_MODEL: undefined, OPENVIBER_BASE_URL: undefined },
      });

      await runTask(gateway, daemon.viberId, 'First task.');
      expect(model.requests.at(-1)?.body.model).toBe('file-model');

      const context = await browser.context();
      const page = await signIn(context, gateway, '/settings');
      const errors = collectPageErrors(page);
      const answers: string[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname.startsWith('/api/'))
          void response.text().then(
            (text) => answers.push(text),
            () => undefined,
          );
      });
      const row = page.getByTestId('vibers-model').locator(`tr[data-viber="${daemon.viberId}"]`);
      await row.getByText('custom/file-model').waitFor();
      await row.getByText('config.json model').waitFor();

      await page.getByLabel('Provider').selectOption('custom');
      await page.getByLabel('Model', { exact: true }).fill('board-model');
      await page.getByLabel('Base URL').fill(model.baseURL);
      await page.getByLabel('Autonomy mode').selectOption('always-execute');
      await page.getByLabel('New Custom (OpenAI-compatible) API key').fill(CANARY);
      await page.getByTestId('settings-save').click();
      await page.getByText('Saved (version 1).').waitFor();

      // Stored, never shown again: the key row says set, its field is empty, the page holds no value.
      const keyRow = page.getByTestId('key-custom');
      await keyRow.getByText('•••••••• set').waitFor();
      expect(await keyRow.locator('input').inputValue()).toBe('');
      // The daemon pulled the settings (config:push) and reports them: no restart, no reload.
      await row.getByText('custom/board-model').waitFor();
      await row.getByText('gateway settings').first().waitFor();
      await row.getByText('always-execute').waitFor();

      // The next task reaches the model server with the new model and the key from the board.
      await runTask(gateway, daemon.viberId, 'Second task.');
      const request = model.requests.at(-1)!;
      expect(request.body.model).toBe('board-model');
      expect(request.headers.authorization).toBe(`Bearer ${CANARY}`);

      await page.reload();
      await keyRow.getByText('•••••••• set').waitFor();
      expect(await page.content()).not.toContain(CANARY);
      for (const [scheme, viewport] of [
        ['light', 'desktop'],
        ['dark', 'desktop'],
        ['light', 'mobile'],
        ['dark', 'mobile'],
      ] as const) {
        const shotContext = await browser.context({ viewport, colorScheme: scheme });
        const shotPage = await signIn(shotContext, gateway, '/settings');
        await shotPage.getByTestId('vibers-model').getByText('custom/board-model').waitFor();
        await shoot(shotPage, `settings-${viewport}-${scheme}`);
        expect(await shotPage.content()).not.toContain(CANARY);
      }

      // The viber's page says what the daemon uses, and where from.
      await page.goto(`${gateway.url}/vibers/${daemon.viberId}`);
      const section = page.getByTestId('viber-model');
      await section.getByTestId('viber-model-name').getByText('custom/board-model').waitFor();
      expect(await section.textContent()).toContain('gateway settings');
      expect(await section.textContent()).toContain('Gateway settings version 1 applied.');
      await section.scrollIntoViewIfNeeded();
      await shoot(page, 'settings-viber-model-desktop-light');

      // A viber that was not connected when the settings changed pulls them when it connects.
      const later = await spawnViberFor(gateway, {
        home: daemonHome(model.baseURL),
        modelBaseURL: model.baseURL,
        name: 'late-box',
        env: { OPENVIBER_MODEL: undefined, OPENVIBER_BASE_URL: undefined },
      });
      await waitFor(
        async () => (await gateway.rest.getViber(later.viberId))?.status?.model?.model?.source === 'gateway',
        { timeoutMs: UI_TIMEOUT_MS, description: 'the late viber to report the gateway settings' },
      );
      expect((await gateway.rest.getViber(later.viberId))?.status?.model?.model?.value).toBe(
        'custom/board-model',
      );

      // `viber status` shows what the running daemon uses, never the key.
      const status = spawnViber(['status', '--gateway', gateway.url, '--token', gateway.operatorToken], {
        name: 'status',
        env: { OPENVIBER_HOME: makeTempDir('cli'), OPENAI_API_KEY: 'sk-shell-key-not-the-daemons' },
      });
      await status.exited;
      expect(status.stdout).toMatch(/model custom\/board-model \(gateway settings\)/);
      expect(status.stdout).toMatch(/key set \(gateway settings\)/);
      expect(status.stdout).toMatch(/mode always-execute \(gateway settings\)/);
      // Its own line is config.json's default, never a model resolved from the shell it runs in.
      expect(status.stdout).toMatch(/model +config\.json sets none/);

      // Never in an API answer the board received, a process's output or the CLI's.
      expect(answers.length).toBeGreaterThan(3);
      expect(answers.join('\n')).not.toContain(CANARY);
      for (const output of [
        gateway.process.stdout,
        gateway.process.stderr,
        daemon.process.stdout,
        daemon.process.stderr,
      ])
        expect(output).not.toContain(CANARY);
      expect(gateway.process.stdout + gateway.process.stderr).toContain('model settings updated');
      expect(status.stdout + status.stderr).not.toContain(CANARY);
      expect(errors).toEqual([]);
    },
    UI_TIMEOUT_MS * 4,
  );
});
