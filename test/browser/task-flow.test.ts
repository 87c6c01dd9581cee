import { describe, expect, it } from 'vitest';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import {
  agentText,
  createTaskFromForm,
  readConversation,
  waitForStatus,
} from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, makeFixtureDir, toolThenText } from '../support/e2e-fixtures.ts';
import type { RecordedRequest, ScriptTurn } from '../support/openai-test-server.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 4, "How it must be shown": create a task and watch it stream, approve a tool call, send a
// follow-up, stop a task; against a real gateway and daemon and the scripted model.

useE2eCleanup();

describe(
  'task view',
  () => {
    const browser = useBrowser();

    it('creates a task from the form and shows its answer streaming in, then the report', async () => {
      const hold = createGate();
      const stack = await startBoardStack({
        script: () => ({
          type: 'text',
          text: ['The **first** half, ', 'streamed. ', 'Then the ', 'second half.'],
          beforeChunk: (index) => (index === 2 ? hold.wait() : undefined),
        }),
      });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      const errors = collectPageErrors(page);
      const taskId = await createTaskFromForm(page, { goal: 'Say something in two halves.' });

      // Mid-stream: the first half is on screen (Markdown rendered), the task is live.
      const conversation = page.getByTestId('conversation');
      await conversation.locator('strong', { hasText: 'first' }).waitFor();
      await conversation.getByText('streamed.').waitFor();
      expect(await conversation.getByText('second half').count()).toBe(0);
      await page.getByRole('link', { name: /Say something in two halves/ }).waitFor(); // sidebar row
      hold.open();
      await agentText(page, 'Then the second half.').waitFor();
      await waitForStatus(page, 'Completed');
      await page.getByTestId('report').waitFor();
      const messages = await readConversation(page);
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(messages[1]!.text).toContain('The first half, streamed. Then the second half.');
      expect((await stack.gateway.rest.getTask(taskId)).task.status).toBe('completed');
      expect(errors).toEqual([]);
    });

    it('asks before a tool call in always-ask mode and runs it once approved', async () => {
      const stack = await startBoardStack({ script: toolThenText() });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      await createTaskFromForm(page, {
        goal: 'List the folder.',
        mode: 'Always ask',
        cwd: makeFixtureDir(),
      });
      const prompt = page.getByTestId('approval-prompt');
      await prompt.waitFor();
      await page.getByTestId('task-status').getByText('Needs approval').waitFor();
      // The sidebar row shows it too, live.
      await page.locator('nav[aria-label="Tasks"]').getByText('Needs approval').waitFor();
      await prompt.getByRole('button', { name: 'Approve' }).click();
      await agentText(page, FINAL_TEXT).waitFor();
      await waitForStatus(page, 'Completed');
      const tool = page.locator('details[data-tool="list_directory"]');
      expect(await tool.getAttribute('data-state')).toBe('output-available');
      await tool.locator('summary').click();
      await tool.getByText('alpha.txt').first().waitFor();
      expect(await prompt.count()).toBe(0);
    });

    it('sends a follow-up that becomes the next turn of the conversation', async () => {
      const firstRun = createGate();
      const stack = await startBoardStack({
        script: (request: RecordedRequest): ScriptTurn => {
          if (request.index === 0) {
            return {
              type: 'text',
              text: ['Working ', 'on ', 'it.'],
              beforeChunk: (index) => (index === 2 ? firstRun.wait() : undefined),
            };
          }
          const last = request.body.messages.at(-1);
          const said = typeof last?.content === 'string' ? last.content : '';
          return { type: 'text', text: `Noted: ${said}` };
        },
      });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      const taskId = await createTaskFromForm(page, { goal: 'Start working.' });
      await page.getByTestId('conversation').getByText('Working on').waitFor();

      await page.getByLabel('Message to the agent').fill('Also check the logs.');
      await page.getByTestId('send-follow-up').click();
      // Queued until the agent takes it in after the current run.
      await page
        .getByRole('article', { name: 'Your queued message' })
        .getByText('Also check the logs.')
        .waitFor();
      firstRun.open();
      await agentText(page, 'Noted: Also check the logs.').waitFor();
      await waitForStatus(page, 'Completed');
      await waitFor(
        async () => (await page.getByRole('article', { name: 'Your queued message' }).count()) === 0,
        {
          timeoutMs: UI_TIMEOUT_MS,
          description: 'the queued message to be applied',
        },
      );
      const roles = (await readConversation(page)).map((message) => message.role);
      expect(roles).toEqual(['user', 'assistant', 'user', 'assistant']);
      const messages = await readConversation(page);
      expect(messages[2]!.text).toContain('followup');
      expect(messages[2]!.text).toContain('Also check the logs.');
      const detail = await stack.gateway.rest.getTask(taskId);
      expect(detail.messages.map((message) => message.injectionMode)).toEqual(['followup']);
    });

    it('stops a running task and keeps what it streamed', async () => {
      const never = createGate();
      const stack = await startBoardStack({
        script: () => ({
          type: 'text',
          text: ['Partial ', 'answer ', 'never finished'],
          beforeChunk: (index) => (index === 2 ? never.wait() : undefined),
        }),
      });
      const context = await browser.context();
      const page = await signIn(context, stack.gateway);
      const taskId = await createTaskFromForm(page, { goal: 'Think for a long time.' });
      await page.getByTestId('conversation').getByText('Partial answer').waitFor();
      await page.getByTestId('stop-task').click();
      await waitForStatus(page, 'Stopped');
      await page.getByTestId('conversation').locator('[data-part="abort"]').waitFor();
      expect(await page.getByTestId('stop-task').count()).toBe(0);
      expect(await page.getByLabel('Message to the agent').count()).toBe(0);
      await page.getByText('This task has ended').waitFor();
      expect((await stack.gateway.rest.getTask(taskId)).task.status).toBe('stopped');
      never.open();
    });
  },
  UI_TIMEOUT_MS * 4,
);
