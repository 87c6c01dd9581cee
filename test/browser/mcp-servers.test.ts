import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signIn } from '../support/browser/board-stack.ts';
import { screenshot, UI_TIMEOUT_MS, useBrowser, type ViewportName } from '../support/browser/browser.ts';
import { agentText, waitForStatus } from '../support/browser/conversation.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage } from '../support/e2e-fixtures.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// The viber page's MCP servers (docs/mcp.md): each server's state, tools and failure, live as the
// daemon's heartbeats report them after Push config starts them. Screenshots under
// test-output/screenshots (docs/screenshots holds a reviewed copy).

useE2eCleanup();

const modules = join(REPO_ROOT, 'node_modules/@modelcontextprotocol');
const TEST_SERVER = join(REPO_ROOT, 'test/support/mcp-test-server.ts');

function daemonHome(): string {
  const files = makeTempDir('mcp-files');
  const home = makeTempDir('daemon');
  mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
  const node = process.execPath;
  const mcpServers = [
    { name: 'everything', command: node, args: [join(modules, 'server-everything/dist/index.js'), 'stdio'] },
    { name: 'files', command: node, args: [join(modules, 'server-filesystem/dist/index.js'), files] },
    { name: 'inventory', command: node, args: [TEST_SERVER, 'tools'] },
    { name: 'billing', command: node, args: [TEST_SERVER, 'exit'] },
    { name: 'archive', command: node, args: [TEST_SERVER, 'tools'], enabled: false },
  ];
  writeFileSync(join(home, 'config', 'config.json'), JSON.stringify({ mcpServers }), { mode: 0o600 });
  return home;
}

describe("a viber's MCP servers on the board", () => {
  const browser = useBrowser();

  it(
    'shows each server idle, then connected with its tools or failed with its reason, live',
    async () => {
      const model = await startModelServer({
        script: ({ body }) =>
          lastMessage(body)?.role === 'tool'
            ? { type: 'text', text: '19 + 23 = **42**, as the everything server computed.' }
            : {
                type: 'tool-calls',
                calls: [{ id: 'call_sum', name: 'mcp__everything__get-sum', input: { a: 19, b: 23 } }],
              },
      });
      const gateway = await spawnGateway();
      const daemon = await spawnViberFor(gateway, {
        home: daemonHome(),
        modelBaseURL: model.baseURL,
        name: 'tool-box',
      });
      const shots: Array<[ViewportName, 'light' | 'dark']> = [
        ['desktop', 'light'],
        ['desktop', 'dark'],
        ['mobile', 'light'],
      ];
      for (const [index, [viewport, colorScheme]] of shots.entries()) {
        const context = await browser.context({ viewport, colorScheme });
        const page = await signIn(context, gateway, `/vibers/${daemon.viberId}`);
        const section = page.getByTestId('viber-mcp-servers');
        const row = (name: string) => section.locator(`tr[data-mcp-server="${name}"]`);
        await section.getByRole('heading', { name: /MCP servers/ }).waitFor();
        if (index === 0) {
          await row('everything').getByText('Idle').waitFor();
          await row('archive').getByText('Disabled').waitFor();
          // Push config starts every enabled server; the heartbeat brings the result, no reload.
          await page.getByTestId('config-push').click();
        }
        await row('everything').getByText('Connected').waitFor();
        await row('files').getByText('Connected').waitFor();
        await row('inventory').getByText('1 skipped').filter({ visible: true }).waitFor();
        await section.getByText('3 of 5 connected').waitFor();
        // It fails at once, every time: retried with backoff, then left failed until a task needs it.
        await row('billing')
          .getByText('the server process exited during initialize')
          .filter({ visible: true })
          .waitFor();
        await row('billing')
          .getByText('The viber tries again when a task needs it.')
          .filter({ visible: true })
          .waitFor();
        await row('billing').getByText('Failed').waitFor();
        expect(await row('inventory').textContent()).toContain(
          'Skipped broken-schema: its inputSchema is not valid JSON Schema',
        );
        await section.scrollIntoViewIfNeeded();
        await screenshot(page, `viber-mcp-${viewport}-${colorScheme}`);
      }

      // A task: the MCP tool's call and result in the conversation; the failed server named in it.
      const context = await browser.context();
      const task = await gateway.rest.createTask({
        goal: 'Add 19 and 23 with the everything server.',
        viberId: daemon.viberId,
        options: { mode: 'always-execute' },
      });
      const page = await signIn(context, gateway, `/tasks/${task.id}`);
      await waitForStatus(page, 'Completed');
      const conversation = page.getByTestId('conversation');
      await conversation
        .locator('[data-part="mcp-server"]')
        .getByText('MCP server billing is not available')
        .waitFor();
      await conversation.getByText('mcp__everything__get-sum').first().waitFor();
      await agentText(page, 'as the everything server computed').waitFor();
      await screenshot(page, 'task-mcp-desktop-light');
    },
    UI_TIMEOUT_MS * 4,
  );
});
