import { tool } from 'ai';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { chunkTypes, useAgentTest } from '../../test/support/in-process/agent-test.ts';
import { promptText, scriptedModel, textTurn, toolTurn } from '../../test/support/scripted-model.ts';
import { createGate } from '../../test/support/wait.ts';
import { INTERRUPTED_TOOL_RESULT } from './agent-session.ts';
import { type AgentCheckpoint, SUSPENDED_REASON } from './agent-task.ts';

const agent = useAgentTest();

const echoTools = () => ({
  echo: tool({
    description: 'Echo the text back.',
    inputSchema: z.object({ text: z.string() }),
    execute: async ({ text }) => ({ echoed: text }),
  }),
});
const catalog = { echo: { kind: 'read', summary: 'echo' } } as const;
/** The role of a checkpoint's last message. */
const lastRole = (checkpoint: AgentCheckpoint) =>
  (checkpoint.messages.at(-1) as { role?: string } | undefined)?.role;

/** Runs a task to its end and returns the checkpoints it handed out. */
async function checkpointsOf(steps: Parameters<typeof scriptedModel>[0]): Promise<AgentCheckpoint[]> {
  const checkpoints: AgentCheckpoint[] = [];
  const { task } = agent.start({
    model: scriptedModel(steps),
    tools: echoTools,
    catalog,
    onCheckpoint: (checkpoint) => checkpoints.push(structuredClone(checkpoint)),
  });
  await task.done;
  return checkpoints;
}

describe('resuming a task in another process', () => {
  it('continues from a step checkpoint with usage, evidence and waiting follow-ups', async () => {
    const checkpoints = await checkpointsOf([
      toolTurn([{ id: 'call-1', name: 'echo', input: { text: 'hello' } }], [100, 20]),
      textTurn('first answer', [10, 5]),
    ]);
    // The checkpoint after the tool step: the goal, the call and its result.
    const afterTool = checkpoints.find((checkpoint) => lastRole(checkpoint) === 'tool')!;
    expect(afterTool.usage).toMatchObject({ inputTokens: 100, outputTokens: 20 });
    expect(afterTool.evidence).toEqual([expect.objectContaining({ toolCallId: 'call-1', ok: true })]);

    const model = scriptedModel([textTurn('Resumed.', [50, 5]), textTurn('Follow-up done.', [60, 5])]);
    const { task, chunks, progress } = agent.start({
      model,
      tools: echoTools,
      catalog,
      request: {
        resume: {
          checkpoint: afterTool,
          messageOpen: true,
          interrupted: [],
          followUps: [{ id: 'm1', text: 'and then?', injectionMode: 'followup' }],
        },
      },
    });
    const outcome = await task.done;
    expect(outcome).toMatchObject({
      status: 'completed',
      result: { text: 'Follow-up done.', usage: { inputTokens: 210, outputTokens: 30 } },
    });
    const types = chunkTypes(chunks);
    // The open message continues: the marker first, no second `start` before the next run.
    expect(types[0]).toBe('data-viber-restarted');
    expect(types.filter((type) => type === 'start')).toHaveLength(1);
    expect(progress).toContainEqual({ kind: 'message-applied', messageId: 'm1', injectionMode: 'followup' });
    expect(model.doStreamCalls).toHaveLength(2);
    expect(promptText(model.doStreamCalls[0]!)).toContain('hello');
    expect(promptText(model.doStreamCalls[1]!)).toContain('and then?');
    const report = chunks.find((chunk) => chunk.type === 'data-report') as { data: { evidence: unknown[] } };
    expect(report.data.evidence).toEqual([expect.objectContaining({ toolCallId: 'call-1' })]);
  });

  it('tells the model of an interrupted call instead of running it again', async () => {
    let runs = 0;
    const model = scriptedModel([textTurn('I will check first.')]);
    const { task, chunks } = agent.start({
      model,
      tools: () => ({
        echo: tool({
          description: 'Echo.',
          inputSchema: z.object({ text: z.string() }),
          execute: async ({ text }) => {
            runs += 1;
            return { echoed: text };
          },
        }),
      }),
      catalog,
      request: {
        resume: {
          messageOpen: false,
          interrupted: [{ toolCallId: 'call-9', toolName: 'echo', input: { text: 'once' } }],
        },
      },
    });
    expect(await task.done).toMatchObject({ status: 'completed' });
    expect(runs).toBe(0);
    expect(chunkTypes(chunks).slice(0, 3)).toEqual(['start', 'data-viber-restarted', 'tool-output-error']);
    expect(chunks[2]).toMatchObject({ toolCallId: 'call-9', errorText: INTERRUPTED_TOOL_RESULT });
    expect(promptText(model.doStreamCalls[0]!)).toContain('interrupted: the viber restarted while this ran');
  });

  it('does not run again a run that had ended before the restart', async () => {
    const checkpoints = await checkpointsOf([textTurn('Already answered.')]);
    const last = checkpoints.at(-1)!;
    expect(lastRole(last)).toBe('assistant');
    const model = scriptedModel([]);
    const { task, chunks } = agent.start({
      model,
      request: { resume: { checkpoint: last, messageOpen: true, interrupted: [] } },
    });
    expect(await task.done).toMatchObject({ status: 'completed', result: { text: 'Already answered.' } });
    expect(model.doStreamCalls).toHaveLength(0);
    expect(chunkTypes(chunks)).toEqual(['data-viber-restarted', 'data-report', 'finish']);
  });

  it('suspend: the current step ends, no new one starts, and no report or finish goes out', async () => {
    const gate = createGate();
    const checkpoints: AgentCheckpoint[] = [];
    const model = scriptedModel([
      toolTurn([{ id: 'call-1', name: 'slow', input: {} }]),
      textTurn('never asked'),
    ]);
    const { task, chunks } = agent.start({
      model,
      tools: () => ({
        slow: tool({
          description: 'Slow.',
          inputSchema: z.object({}),
          execute: async () => {
            await gate.wait();
            return { done: true };
          },
        }),
      }),
      catalog: { slow: { kind: 'read', summary: 'slow' } },
      onCheckpoint: (checkpoint) => checkpoints.push(structuredClone(checkpoint)),
    });
    await vi.waitFor(() => expect(chunkTypes(chunks)).toContain('tool-input-available'));
    task.suspend?.();
    gate.open();
    expect(await task.done).toEqual({ status: 'stopped', reason: SUSPENDED_REASON });
    expect(model.doStreamCalls).toHaveLength(1);
    const types = chunkTypes(chunks);
    expect(types).toContain('tool-output-available');
    expect(types).not.toContain('data-report');
    expect(types).not.toContain('finish');
    expect(lastRole(checkpoints.at(-1)!)).toBe('tool');
  });

  it('suspend while an approval waits: the checkpoint keeps the request, and a resume waits for its answer', async () => {
    const checkpoints: AgentCheckpoint[] = [];
    const first = agent.start({
      model: scriptedModel([toolTurn([{ id: 'call-1', name: 'echo', input: { text: 'ask' } }])]),
      tools: echoTools,
      catalog,
      request: { options: { mode: 'always-ask' } },
      onCheckpoint: (checkpoint) => checkpoints.push(structuredClone(checkpoint)),
    });
    const request = await vi.waitFor(() => {
      const found = first.chunks.find((chunk) => chunk.type === 'tool-approval-request');
      if (!found) throw new Error('no approval request yet');
      return found;
    });
    await vi.waitFor(() =>
      expect(first.progress).toContainEqual({ kind: 'status', detail: 'awaiting-approval' }),
    );
    first.task.suspend?.();
    expect(await first.task.done).toEqual({ status: 'stopped', reason: SUSPENDED_REASON });
    const saved = checkpoints.at(-1)!;
    expect(saved.approvals).toEqual([
      { approvalId: request.approvalId, toolCallId: 'call-1', toolName: 'echo' },
    ]);

    const model = scriptedModel([textTurn('Echoed after the answer.')]);
    const second = agent.start({
      model,
      tools: echoTools,
      catalog,
      request: {
        options: { mode: 'always-ask' },
        resume: { checkpoint: saved, messageOpen: true, interrupted: [] },
      },
    });
    await vi.waitFor(() =>
      expect(second.progress).toContainEqual({ kind: 'status', detail: 'awaiting-approval' }),
    );
    expect(model.doStreamCalls).toHaveLength(0);
    expect(second.task.answerApproval(request.approvalId, true)).toBe(true);
    expect(await second.task.done).toMatchObject({
      status: 'completed',
      result: { text: 'Echoed after the answer.' },
    });
    expect(second.chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-output-available', toolCallId: 'call-1' }),
    );
  });
});
