import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { textOf } from '../support/openai-script.ts';
import { parseExposition, sampleValue } from '../support/prometheus-text.ts';
import { spawnDaemon, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 18, item 3: children started with wait=false (docs/delegation.md). Their end reaches the
// parent as a follow-up message that the parent's daemon journals before it acknowledges it, so a
// daemon killed right after survives it; and a parent that fails on its own stops them.

useE2eCleanup();

const METRICS_TOKEN = 'metrics-token-delegation-detached';
const CHILD_END = '[delegated task ';

/** The last message, when it is the follow-up carrying a child's end. */
const childEndHeard = (body: ChatRequestBody): string | undefined => {
  const last = lastMessage(body);
  const text = last?.role === 'user' ? textOf(last.content) : '';
  return text.includes(CHILD_END) ? text : undefined;
};

async function outboxDepth(url: string): Promise<number | undefined> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return sampleValue(parseExposition(await response.text()), 'openviber_outbox_commands');
}

describe('delegation with wait=false', () => {
  it("keeps a child's end across a SIGKILL of the parent's daemon between the end and the parent's next step", async () => {
    const childGate = createGate();
    const parentGate = createGate();
    const model = await startModelServer({
      script: ({ body }): ScriptTurn => {
        if (userText(body).includes('CHILD-DETACHED')) {
          return {
            type: 'text',
            text: ['detached ', 'answer ', 'nine'],
            beforeChunk: (i) => (i === 1 ? childGate.wait() : undefined),
            // Far more than the parent spends: the parent's usage shows whether it was counted.
            usage: { prompt_tokens: 100_000, completion_tokens: 1 },
          };
        }
        const heard = childEndHeard(body);
        if (heard) return { type: 'text', text: `Parent heard: ${heard}` };
        if (lastMessage(body)?.role !== 'tool') {
          return {
            type: 'tool-calls',
            calls: [
              {
                name: 'delegate',
                input: { goal: 'CHILD-DETACHED: answer later', viber: 'viber-helper', wait: false },
              },
            ],
          };
        }
        // The parent carries on while the child works, held mid-answer.
        return {
          type: 'text',
          text: ['Carrying ', 'on ', 'meanwhile.'],
          beforeChunk: (i) => (i === 1 ? parentGate.wait() : undefined),
        };
      },
    });
    const gateway = await spawnGateway({ graceMs: 120_000, env: { OPENVIBER_METRICS_TOKEN: METRICS_TOKEN } });
    const a = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-lead' });
    await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-helper' });
    const parent = await gateway.rest.createTask({
      goal: 'PARENT-DETACHED: start a helper and carry on',
      viberId: a.viberId,
      options: { mode: 'always-execute' },
    });
    const child = await waitFor(
      async () => (await gateway.rest.getTask(parent.id)).children?.find((task) => task.status === 'running'),
      { timeoutMs: 60_000, description: 'the child to run' },
    );
    // The parent is in its next model call (after `started`), held there.
    await waitFor(
      () =>
        model.requests.some(
          (r) => userText(r.body).includes('PARENT-DETACHED') && lastMessage(r.body)?.role === 'tool',
        ),
      { timeoutMs: 30_000, description: "the parent's second model call" },
    );

    childGate.open();
    await waitForTaskStatus(gateway.rest, child.id, 'completed', 60_000);
    // The parent's daemon took the end (the agent queued it) and acknowledged it: nothing is left
    // in the gateway's outbox to send again.
    await waitFor(() => a.process.stderr.includes(`child-${child.id}`), {
      timeoutMs: 30_000,
      description: "the parent's daemon to take the child's end",
    });
    await waitFor(async () => (await outboxDepth(gateway.url)) === 0, {
      timeoutMs: 30_000,
      description: 'the outbox to be empty',
    });

    // Killed before the parent's next step took the message into its conversation.
    await a.process.kill('SIGKILL');
    parentGate.open();
    await spawnDaemon({
      serverUrl: gateway.wsUrl,
      viberId: a.viberId,
      token: a.token,
      home: a.home,
      modelBaseURL: model.baseURL,
      name: 'viber-lead-again',
    });

    // The delegate call itself answered at once with the child's id.
    const started = model.requests.find(
      (r) => userText(r.body).includes('PARENT-DETACHED') && lastMessage(r.body)?.role === 'tool',
    )!;
    expect(JSON.parse(textOf(lastMessage(started.body)?.content))).toMatchObject({
      childTaskId: child.id,
      viber: 'viber-helper',
      mode: 'always-execute',
      status: 'started',
    });

    const done = await waitForTaskStatus(gateway.rest, parent.id, 'completed', 90_000);
    expect(done.task.result?.text).toContain(`[delegated task ${child.id} completed]`);
    expect(done.task.result?.text).toContain('Answer: detached answer nine');
    expect(done.task.result?.text).toContain('Report: ');
    // The child's usage joined the parent's with its message, once, across the restart.
    const childUsage = (await gateway.rest.getTask(child.id)).task.usage!.totalTokens;
    expect(childUsage).toBeGreaterThanOrEqual(100_001);
    expect(done.task.usage!.totalTokens).toBeGreaterThan(childUsage);
    expect(done.task.usage!.totalTokens).toBeLessThan(2 * childUsage);
    // Heard once, as one follow-up turn.
    const heardCalls = model.requests.filter(
      (r) => userText(r.body).includes('PARENT-DETACHED') && childEndHeard(r.body) !== undefined,
    );
    expect(heardCalls).toHaveLength(1);
  });

  it('a parent that ends in error on its own stops the child it did not wait for', async () => {
    const never = createGate();
    const model = await startModelServer({
      script: ({ body }): ScriptTurn => {
        if (userText(body).includes('CHILD-ORPHAN')) {
          return {
            type: 'text',
            text: ['Working ', 'on ', 'it'],
            beforeChunk: (i) => (i === 1 ? never.wait() : undefined),
          };
        }
        if (lastMessage(body)?.role !== 'tool') {
          return {
            type: 'tool-calls',
            calls: [
              {
                name: 'delegate',
                input: { goal: 'CHILD-ORPHAN: take forever', viber: 'viber-worker', wait: false },
              },
            ],
          };
        }
        // The parent's model fails (400: not retried) right after the child started.
        return { type: 'error', status: 400, message: 'the model refuses to go on' };
      },
    });
    const gateway = await spawnGateway();
    const a = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-failing' });
    await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-worker' });
    const parent = await gateway.rest.createTask({
      goal: 'PARENT-ERROR: delegate, then fail',
      viberId: a.viberId,
      options: { mode: 'always-execute' },
    });
    const failed = await waitForTaskStatus(gateway.rest, parent.id, 'error', 60_000);
    expect(failed.task.error).toContain('the model refuses to go on');
    const [child] = failed.children ?? [];
    expect(child).toBeDefined();
    const stopped = await waitForTaskStatus(gateway.rest, child!.id, 'stopped', 30_000);
    expect(stopped.task.stopRequested).toBe(true);
    never.open();
  });
});
