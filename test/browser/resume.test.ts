import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import {
  agentText,
  createTaskFromForm,
  readConversation,
  waitForStatus,
} from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, makeFixtureDir, TOOL_INPUT, TOOL_NAME } from '../support/e2e-fixtures.ts';
import type { RecordedRequest, ScriptTurn } from '../support/openai-test-server.ts';
import { restartGateway } from '../support/viber-stack.ts';
import { createGate, type Gate } from '../support/wait.ts';

// Issue 4: reloading mid-stream resumes without loss or duplication (the conversation comes from
// the gateway, not the browser), and a gateway killed and restarted mid-stream is caught up with.
// Issue 12: a daemon killed mid-answer resumes the task and the board says so, once.

useE2eCleanup();

const GOAL = 'List the folder, then describe it at length.';
const ANSWER = Array.from({ length: 12 }, (_, index) => `Sentence ${index + 1} about the folder.`).join(' ');

/**
 * Every task gets the same conversation (a tool call, then a long answer streamed word by word);
 * a task whose working directory has a gate waits there, mid-answer, until the test opens it.
 */
function scriptWithGates(gates: Map<string, Gate>) {
  return (request: RecordedRequest): ScriptTurn => {
    if (lastMessage(request.body)?.role !== 'tool') {
      return { type: 'tool-calls', calls: [{ id: 'call_list_1', name: TOOL_NAME, input: TOOL_INPUT }] };
    }
    const system = JSON.stringify(request.body.messages[0]?.content ?? '');
    const gate = [...gates].find(([dir]) => system.includes(dir))?.[1];
    return { type: 'text', text: ANSWER, beforeChunk: (index) => (index === 8 ? gate?.wait() : undefined) };
  };
}

/** The conversation with task-specific folders replaced, so two tasks compare equal. */
async function conversationOf(page: Page, dirs: string[]) {
  const messages = await readConversation(page);
  return messages.map((message) => ({
    role: message.role,
    text: dirs.reduce((text, dir) => text.replaceAll(dir, '<dir>'), message.text),
  }));
}

describe('resuming the conversation', () => {
  const browser = useBrowser();

  it(
    'rebuilds the same conversation after a reload mid-stream and after a gateway restart',
    async () => {
      const dirs = { plain: makeFixtureDir(), reload: makeFixtureDir(), restart: makeFixtureDir() };
      const gates = new Map([
        [dirs.reload, createGate()],
        [dirs.restart, createGate()],
      ]);
      const stack = await startBoardStack({ script: scriptWithGates(gates) });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      const allDirs = Object.values(dirs);

      // 1. Uninterrupted: the reference conversation.
      await createTaskFromForm(page, { goal: GOAL, mode: 'Always execute', cwd: dirs.plain });
      await waitForStatus(page, 'Completed');
      await page.getByTestId('report').waitFor();
      const reference = await conversationOf(page, allDirs);
      expect(reference.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(reference[1]!.text).toContain(ANSWER);

      // 2. Reloaded while the answer is streaming.
      await createTaskFromForm(page, { goal: GOAL, mode: 'Always execute', cwd: dirs.reload });
      await agentText(page, 'Sentence 1 about').waitFor();
      await page.reload();
      await agentText(page, 'Sentence 1 about').waitFor();
      gates.get(dirs.reload)!.open();
      await waitForStatus(page, 'Completed');
      await page.getByTestId('report').waitFor();
      expect(await conversationOf(page, allDirs)).toEqual(reference);

      // 3. The gateway is killed mid-stream and comes back on the same port.
      const taskId = await createTaskFromForm(page, {
        goal: GOAL,
        mode: 'Always execute',
        cwd: dirs.restart,
      });
      await agentText(page, 'Sentence 1 about').waitFor();
      await stack.gateway.process.kill('SIGKILL');
      await page.getByText('Reconnecting to the gateway').waitFor();
      stack.gateway = await restartGateway(stack.gateway);
      await stack.daemon.waitForConnection(2, UI_TIMEOUT_MS);
      gates.get(dirs.restart)!.open();
      await waitForStatus(page, 'Completed', UI_TIMEOUT_MS * 2);
      await page.getByTestId('report').waitFor();
      expect(await page.getByText('Reconnecting to the gateway').count()).toBe(0);
      expect(await conversationOf(page, allDirs)).toEqual(reference);
      expect((await stack.gateway.rest.getTask(taskId)).task.status).toBe('completed');
    },
    UI_TIMEOUT_MS * 6,
  );

  it(
    'shows the restart line once when the daemon is killed mid-answer and resumes the task',
    async () => {
      // Both answers (the one cut by the kill and the one asked again) wait at the gate mid-stream.
      const gate = createGate();
      const stack = await startBoardStack({
        script: ({ index }): ScriptTurn => ({
          type: 'text',
          text: index === 0 ? ['Working ', 'on ', 'it ', 'now.'] : ['Done ', 'after ', 'the ', 'restart.'],
          beforeChunk: (chunk) => (chunk === 2 ? gate.wait() : undefined),
        }),
      });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      const marker = page.getByTestId('conversation').locator('[data-part="viber-restarted"]');
      const markerLine = page
        .getByTestId('conversation')
        .getByText('The viber restarted; the task continued.', { exact: true });

      await createTaskFromForm(page, { goal: 'Write a short answer.' });
      await agentText(page, 'Working on').waitFor();
      await stack.daemon.process.kill('SIGKILL');
      await stack.restartDaemon();

      // The resumed run marks the restart and asks the model again, which waits at the gate.
      await marker.waitFor();
      await stack.model.waitForRequests(2, UI_TIMEOUT_MS);
      await agentText(page, 'Done after').waitFor();
      gate.open();
      await waitForStatus(page, 'Completed', UI_TIMEOUT_MS * 2);
      await agentText(page, 'Done after the restart.').waitFor();
      expect(await marker.count()).toBe(1);
      expect(await markerLine.count()).toBe(1);

      // Replayed from the gateway after a reload: still once.
      await page.reload();
      await agentText(page, 'Done after the restart.').waitFor();
      expect(await marker.count()).toBe(1);
      expect(await markerLine.count()).toBe(1);
      expect(stack.model.requests).toHaveLength(2);
    },
    UI_TIMEOUT_MS * 4,
  );

  it('says clearly when a task does not exist', async () => {
    const stack = await startBoardStack({ script: [] });
    const context = await browser.context();
    const page = await signIn(context, stack.gateway, '/tasks/task_does-not-exist');
    await page.getByRole('heading', { name: 'Task not found' }).waitFor();
    await page.getByText('task_does-not-exist').waitFor();
    await page.getByRole('link', { name: 'New task' }).last().click();
    await page.waitForURL(/\/new$/);
  });
});
