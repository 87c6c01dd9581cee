import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnvironmentView } from '../../src/protocol/index.ts';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import type { RecordedRequest, ScriptTurn } from '../support/openai-test-server.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 18, item 4: a web server started by a task (the scripted model runs it with the shell
// tool, in an environment) is listed on the board's Ports cards, and the operator opens it from
// there: the service's page loads its relative script, talks over a WebSocket through the
// gateway, and cannot read the board's API (it runs sandboxed, in an opaque origin).

useE2eCleanup();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ports on the board', () => {
  const browser = useBrowser();

  it(
    "opens a task's web server from the Ports card, sandboxed away from the board",
    async () => {
      const port = await freePort();
      const release = createGate();
      const service = join(REPO_ROOT, 'test/support/port-service.mjs');
      // Turn 1 starts the server in the background; turn 2's answer waits (the task keeps running,
      // and with it the server) until the test is done.
      const script = ({ body }: RecordedRequest): ScriptTurn =>
        !body.messages.some((message) => message.role === 'tool')
          ? {
              type: 'tool-calls',
              calls: [
                {
                  id: 'call_serve',
                  name: 'shell',
                  input: {
                    command: `PORT_SERVICE_PORT=${port} ${process.execPath} ${service} > service.log 2>&1 & sleep 0.5; cat service.log`,
                  },
                },
              ],
            }
          : { type: 'text', text: 'The site is up.', beforeChunk: () => release.wait() };
      const stack = await startBoardStack({ script, viberName: 'web-box' });
      const { gateway, daemon } = stack;
      const rest = gateway.rest.client;

      const environment = await rest.call('environments.create', {
        body: { name: 'website', type: 'manual' },
      });
      await rest.call('environments.bindings.create', {
        params: { id: environment.id },
        body: { viberId: daemon.viberId },
      });
      await waitFor(
        async () =>
          ((await rest.call('environments.get', { params: { id: environment.id } })) as EnvironmentView)
            .bindings[0]?.status === 'ready',
        { timeoutMs: 60_000, description: 'the environment to be ready' },
      );
      await rest.call('tasks.create', {
        body: { goal: 'Serve the site', options: { environmentId: environment.id, mode: 'always-execute' } },
      });
      const listed = await waitFor(
        async () =>
          (await rest.call('ports.list', { params: { id: daemon.viberId } })).ports.find(
            (entry) => entry.port === port,
          ),
        { timeoutMs: 60_000, description: `port ${port} to be listed` },
      );
      expect(listed).toMatchObject({ ownership: 'tmux', environmentId: environment.id, httpStatus: 200 });

      const context = await browser.context();
      // The environment's side panel lists it, with the viber it runs on.
      const page = await signIn(context, gateway, `/environments/${environment.id}`);
      const card = page.getByTestId('ports-card');
      await card.getByTestId(`port-${port}`).waitFor({ timeout: UI_TIMEOUT_MS });
      await card.getByText('HTTP 200').waitFor();
      await card.getByText(/port-service\.mjs/).waitFor();
      await page.screenshot({
        path: join(REPO_ROOT, 'docs/screenshots/ports-environment-card.png'),
        fullPage: true,
      });

      // And the viber's page; Open mints a link and opens the service in a new tab.
      await page.goto(`${gateway.url}/vibers/${daemon.viberId}`);
      const viberCard = page.getByTestId('ports-card');
      await viberCard.getByTestId(`port-${port}`).waitFor({ timeout: UI_TIMEOUT_MS });
      await page.screenshot({
        path: join(REPO_ROOT, 'docs/screenshots/ports-viber-card.png'),
        fullPage: true,
      });
      const [opened] = await Promise.all([
        context.waitForEvent('page'),
        viberCard.getByTestId(`open-port-${port}`).click(),
      ]);
      const errors = collectPageErrors(opened);
      await opened.waitForURL(new RegExp(`/ports/${daemon.viberId}/${port}/[^/]+/$`));
      await opened.getByRole('heading', { name: 'Hello from a service on the viber' }).waitFor();
      // The relative script ran, and its WebSocket echoed through the gateway.
      await opened.locator('#ws').getByText('echo: ping').waitFor({ timeout: UI_TIMEOUT_MS });
      // Sandboxed: an opaque origin, no cookies to read, and the board's API out of reach.
      await opened
        .locator('#api')
        .getByText(/^blocked/)
        .waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await opened.locator('#origin').textContent()).toBe('null');
      expect(await opened.locator('#cookies').textContent()).toMatch(/^blocked/);
      const fromPage = await opened.evaluate(async () => {
        try {
          const response = await fetch('/api/tasks', { credentials: 'include' });
          return `read ${response.status}`;
        } catch (error) {
          return `blocked ${(error as Error).name}`;
        }
      });
      expect(fromPage).toBe('blocked TypeError');
      expect(await opened.evaluate(() => window.opener)).toBeNull();
      await opened.screenshot({ path: join(REPO_ROOT, 'docs/screenshots/ports-opened-service.png') });
      // The page's only errors are its two reads of the board's API, refused by the browser.
      const refusal = `console: Access to fetch at '${gateway.url}/api/tasks' from origin 'null' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.`;
      await waitFor(() => errors.length >= 4, { description: 'the browser to report both refusals' });
      expect([...errors].sort()).toEqual(
        [
          refusal,
          refusal,
          'console: Failed to load resource: net::ERR_FAILED',
          'console: Failed to load resource: net::ERR_FAILED',
        ].sort(),
      );
      release.open();
    },
    UI_TIMEOUT_MS * 4,
  );
});
