import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { textOf } from '../support/openai-script.ts';
import { spawnViber } from '../support/processes.ts';
import { parseExposition, sampleValue } from '../support/prometheus-text.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { restartGateway, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 18, item 3: the delegate tool over real processes: a gateway, two daemons and the scripted
// OpenAI-compatible model. docs/delegation.md states what these tests check.

useE2eCleanup();

const METRICS_TOKEN = 'metrics-token-delegation-e2e';

/** The tool result the model was given last (the delegate call's answer), as text. */
const toolResult = (body: ChatRequestBody): string | undefined => {
  const last = lastMessage(body);
  return last?.role === 'tool' ? textOf(last.content) : undefined;
};

/** A daemon home whose config lets the delegate tool run in agent-decides without asking. */
function homeAllowingDelegate(): string {
  const home = makeTempDir('daemon');
  mkdirSync(join(home, 'config'), { recursive: true });
  writeFileSync(join(home, 'config', 'config.json'), JSON.stringify({ agent: { allow: ['delegate'] } }));
  return home;
}

describe('delegation', () => {
  it("runs a child on a second daemon's viber; its answer and report return to the parent", async () => {
    const model = await startModelServer({
      script: (request): ScriptTurn => {
        const user = userText(request.body);
        const result = toolResult(request.body);
        if (user.includes('CHILD-ONE')) {
          if (result === undefined) {
            return {
              type: 'tool-calls',
              calls: [
                {
                  name: 'report',
                  input: {
                    summary: 'Counted the stars: 42.',
                    claims: [{ text: 'there are 42', evidence: [] }],
                  },
                },
              ],
            };
          }
          return { type: 'text', text: 'The answer is 42.' };
        }
        if (result === undefined) {
          return {
            type: 'tool-calls',
            calls: [{ name: 'delegate', input: { goal: 'CHILD-ONE: count the stars', viber: 'viber-b' } }],
          };
        }
        return { type: 'text', text: `Parent heard: ${result}` };
      },
    });
    const gateway = await spawnGateway();
    const a = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-a' });
    const b = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-b' });

    const parent = await gateway.rest.createTask({
      goal: 'PARENT-ONE: ask viber-b to count the stars',
      viberId: a.viberId,
      options: { mode: 'always-execute' },
    });
    const done = await waitForTaskStatus(gateway.rest, parent.id, 'completed', 90_000);

    // The tree in REST: one child, on B, completed, naming its parent.
    expect(done.parent).toBeNull();
    expect(done.children).toHaveLength(1);
    const child = done.children![0]!;
    expect(child).toMatchObject({
      parentTaskId: parent.id,
      viberId: b.viberId,
      viberName: 'viber-b',
      status: 'completed',
      depth: 1,
      mode: 'always-execute',
    });
    const childDetail = await gateway.rest.getTask(child.id);
    expect(childDetail.task).toMatchObject({ parentTaskId: parent.id, rootTaskId: parent.id, depth: 1 });
    expect(childDetail.parent).toMatchObject({ id: parent.id, viberId: a.viberId, viberName: 'viber-a' });
    expect(childDetail.children).toEqual([]);
    // The child's answer and report reached the parent's model as the delegate call's result.
    const heard = done.task.result?.text ?? '';
    expect(heard).toContain('The answer is 42.');
    expect(heard).toContain('Counted the stars: 42.');
    expect(heard).toContain('there are 42');
    expect(heard).toContain(child.id);
    // Once: the child ran one conversation, the parent exactly two model calls.
    const parentCalls = model.requests.filter((r) => userText(r.body).includes('PARENT-ONE'));
    expect(parentCalls).toHaveLength(2);
    // The child's usage counts in the parent's.
    expect(done.task.usage!.totalTokens).toBeGreaterThan(childDetail.task.usage!.totalTokens);

    // `viber task show` prints the tree.
    const cli = spawnViber(['task', 'show', parent.id], {
      name: 'cli-task-show',
      env: {
        OPENVIBER_HOME: makeTempDir('cli'),
        OPENVIBER_GATEWAY_URL: gateway.url,
        OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
      },
    });
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout).toContain('children');
    expect(cli.stdout).toMatch(new RegExp(`└ ${child.id}\\s+completed\\s+on viber-b\\s+CHILD-ONE`));
  });

  it('stopping the parent stops the child', async () => {
    const never = createGate();
    const model = await startModelServer({
      script: (request): ScriptTurn => {
        if (userText(request.body).includes('CHILD-SLOW')) {
          return {
            type: 'text',
            text: ['Working ', 'on ', 'it'],
            beforeChunk: (i) => (i === 1 ? never.wait() : undefined),
          };
        }
        if (toolResult(request.body) === undefined) {
          return {
            type: 'tool-calls',
            calls: [{ name: 'delegate', input: { goal: 'CHILD-SLOW: take forever', viber: 'viber-slow' } }],
          };
        }
        return { type: 'text', text: 'parent done' };
      },
    });
    const gateway = await spawnGateway();
    const a = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-boss' });
    await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-slow' });
    const parent = await gateway.rest.createTask({
      goal: 'PARENT-STOP: delegate something slow',
      viberId: a.viberId,
      options: { mode: 'always-execute' },
    });
    const child = await waitFor(
      async () => {
        const { children } = await gateway.rest.getTask(parent.id);
        return children?.find((task) => task.status === 'running');
      },
      { timeoutMs: 60_000, description: 'the child to run' },
    );
    await waitFor(() => model.openStreams > 0, { timeoutMs: 30_000, description: "the child's model call" });

    await gateway.rest.stopTask(parent.id);
    await waitForTaskStatus(gateway.rest, parent.id, 'stopped', 30_000);
    const stopped = await waitForTaskStatus(gateway.rest, child.id, 'stopped', 30_000);
    expect(stopped.task.stopRequested).toBe(true);
    never.open();
  });

  it('refuses a depth bomb at the limit, clamps the mode, and every task still ends', async () => {
    const model = await startModelServer({
      script: (request): ScriptTurn => {
        const result = toolResult(request.body);
        if (result === undefined) {
          return {
            type: 'tool-calls',
            calls: [{ name: 'delegate', input: { goal: 'BOMB: delegate again', mode: 'always-execute' } }],
          };
        }
        return { type: 'text', text: `bomb level heard: ${result}` };
      },
    });
    const gateway = await spawnGateway({ env: { OPENVIBER_METRICS_TOKEN: METRICS_TOKEN } });
    const a = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'viber-bomb',
      home: homeAllowingDelegate(),
    });
    const root = await gateway.rest.createTask({
      goal: 'BOMB: delegate again',
      viberId: a.viberId,
      options: { mode: 'agent-decides' },
    });
    const done = await waitForTaskStatus(gateway.rest, root.id, 'completed', 120_000);

    // Depth 1, 2, 3 ran; the task at depth 3 was refused a fourth level.
    const children = done.children!;
    expect(children.map((task) => task.depth)).toEqual([1, 2, 3]);
    expect(children.every((task) => task.status === 'completed')).toBe(true);
    // Asked for always-execute, each got its parent's agent-decides.
    expect(children.every((task) => task.mode === 'agent-decides')).toBe(true);
    const deepest = await gateway.rest.getTask(children[2]!.id);
    expect(deepest.task.result?.text).toContain('delegation refused (conflict)');
    expect(deepest.task.result?.text).toContain('at most 3 deep');
    const all = await gateway.rest.listTasks();
    expect(all).toHaveLength(4);
    // Counted: three children started, one refusal for depth (docs/operations.md).
    const scraped = await fetch(`${gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const families = parseExposition(await scraped.text());
    expect(sampleValue(families, 'openviber_delegations_total', { outcome: 'started' })).toBe(3);
    expect(
      sampleValue(families, 'openviber_delegations_total', { outcome: 'refused', reason: 'depth' }),
    ).toBe(1);
  });

  it("delivers a child's end once across a gateway restart while the parent's daemon is away", async () => {
    const childGate = createGate();
    const model = await startModelServer({
      script: (request): ScriptTurn => {
        if (userText(request.body).includes('CHILD-LATE')) {
          return {
            type: 'text',
            text: ['late ', 'answer ', 'seven'],
            beforeChunk: (i) => (i === 1 ? childGate.wait() : undefined),
          };
        }
        const result = toolResult(request.body);
        if (result === undefined) {
          return {
            type: 'tool-calls',
            calls: [{ name: 'delegate', input: { goal: 'CHILD-LATE: answer later', viber: 'viber-late' } }],
          };
        }
        return { type: 'text', text: `Parent heard: ${result}` };
      },
    });
    const gateway = await spawnGateway({ graceMs: 120_000 });
    const a = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-parent' });
    await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-late' });
    const parent = await gateway.rest.createTask({
      goal: 'PARENT-LATE: wait for a late child',
      viberId: a.viberId,
      options: { mode: 'always-execute' },
    });
    const child = await waitFor(
      async () => (await gateway.rest.getTask(parent.id)).children?.find((task) => task.status === 'running'),
      { timeoutMs: 60_000, description: 'the child to run' },
    );
    // The parent's daemon is frozen; the child ends; its end is queued in the gateway's outbox.
    a.process.child.kill('SIGSTOP');
    let again: Awaited<ReturnType<typeof restartGateway>>;
    try {
      childGate.open();
      await waitForTaskStatus(gateway.rest, child.id, 'completed', 60_000);
      // The gateway dies and starts again before the parent heard anything.
      await gateway.process.kill('SIGKILL');
      again = await restartGateway(gateway);
    } finally {
      a.process.child.kill('SIGCONT');
    }
    const done = await waitForTaskStatus(again.rest, parent.id, 'completed', 90_000);
    expect(done.task.result?.text).toContain('late answer seven');
    // Heard once: one model call of the parent after the child's end.
    const heardCalls = model.requests.filter(
      (r) =>
        userText(r.body).includes('PARENT-LATE') && (toolResult(r.body) ?? '').includes('late answer seven'),
    );
    expect(heardCalls).toHaveLength(1);
  });
});
