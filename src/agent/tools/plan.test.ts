import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { PlanSchema } from '../../protocol/index.ts';
import { createToolSet } from './index.ts';
import type { PlanResult } from './plan.ts';

describe('plan', () => {
  const t = useToolContext();

  const steps = [
    { id: '1', title: 'Read the code', status: 'in_progress' },
    { id: '2', title: 'Fix the bug', status: 'pending' },
    { id: '3', title: 'Run the tests', status: 'pending' },
  ];

  it('creates a plan, persists it and streams it as a data-plan part', async () => {
    const tools = createToolSet(t.context);
    const result = await callTool<PlanResult>(tools, 'plan', { steps });
    expect(result).toEqual({ steps, summary: '0/3 done, 1 in progress, 0 blocked' });
    const saved = PlanSchema.parse(JSON.parse(await readFile(t.context.planPath, 'utf8')));
    expect(saved).toMatchObject({ taskId: 'task_test', steps });
    expect(t.data).toEqual([{ type: 'data-plan', id: 'plan', data: saved }]);
  });

  it('updates steps by id and streams each version', async () => {
    const tools = createToolSet(t.context);
    await callTool(tools, 'plan', { steps });
    const result = await callTool<PlanResult>(tools, 'plan', {
      updates: [
        { id: '1', status: 'done' },
        { id: '2', status: 'in_progress', title: 'Fix the off-by-one bug' },
      ],
    });
    expect(result.steps).toEqual([
      { id: '1', title: 'Read the code', status: 'done' },
      { id: '2', title: 'Fix the off-by-one bug', status: 'in_progress' },
      { id: '3', title: 'Run the tests', status: 'pending' },
    ]);
    expect(t.data).toHaveLength(2);
    expect(PlanSchema.parse(JSON.parse(await readFile(t.context.planPath, 'utf8'))).steps).toEqual(
      result.steps,
    );
  });

  it('explains bad plans and updates', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'plan', { updates: [{ id: '1', status: 'done' }] })).error).toMatch(
      /no plan yet/,
    );
    await callTool(tools, 'plan', { steps });
    expect((await callTool(tools, 'plan', { updates: [{ id: '9', status: 'done' }] })).error).toBe(
      'no step with id "9" in the plan (ids: 1, 2, 3)',
    );
    expect((await callTool(tools, 'plan', {})).error).toMatch(/steps: pass exactly one of steps/);
    expect((await callTool(tools, 'plan', { steps: [steps[0], steps[0]] })).error).toMatch(
      /step ids must be unique/,
    );
    expect(
      (await callTool(tools, 'plan', { steps: [{ id: '1', title: 'x', status: 'started' }] })).error,
    ).toMatch(/steps\.0\.status: /);
    expect(t.data).toHaveLength(1);
  });
});
