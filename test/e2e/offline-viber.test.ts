import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  FINAL_TEXT,
  makeFixtureDir,
  TOOL_NAME,
  textsOf,
  toolPartOf,
  toolThenText,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import { spawnDaemon, spawnGateway } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

// Issue 2, fourth bullet, and DESIGN.md reliability rule 4: a task for an offline viber waits as
// `pending` and runs when the viber connects; a subscriber that came early sees the whole run.

useE2eCleanup();

describe('task created while its viber is offline', () => {
  it('stays pending, then runs when the daemon starts', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('sleeper');
    expect((await gateway.rest.getViber(viber.id))?.presence).toBe('offline');

    const task = await gateway.rest.createTask({
      goal: 'List the files in the working folder.',
      viberId: viber.id,
      options: { cwd: makeFixtureDir() },
    });
    expect(task.status).toBe('pending');
    const reader = await gateway.follow(task.id);
    const listed = await gateway.rest.listTasks();
    expect(listed.find((t) => t.id === task.id)?.status).toBe('pending');
    expect((await gateway.rest.getTask(task.id)).task.status).toBe('pending');
    expect(model.requests).toHaveLength(0);

    const daemon = await spawnDaemon({
      serverUrl: gateway.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'sleeper',
    });

    const message = await withTimeout(reader.finished, 45_000, 'the queued task to stream to the end');
    expect(toolPartOf(message, TOOL_NAME)).toMatchObject({ state: 'output-available' });
    expect(textsOf(message)).toEqual([FINAL_TEXT]);
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed');
    expect(detail.task.startedAt).not.toBeNull();
    expect(daemon.connections).toBe(1);
    // Delivered once: the daemon ran it once (one tool call round, two model requests).
    expect(model.requests).toHaveLength(2);
  });
});
