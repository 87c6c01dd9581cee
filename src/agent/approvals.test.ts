import { tool, type UIMessageChunk } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chunkTypes, type RecordedTask, useAgentTest } from '../../test/support/in-process/agent-test.ts';
import { promptText, scriptedModel, textTurn, toolTurn } from '../../test/support/scripted-model.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { AutonomyMode } from '../protocol/index.ts';
import type { ToolCatalog } from './autonomy-policy.ts';

const agent = useAgentTest();

const catalog: ToolCatalog = {
  look: { kind: 'read', summary: 'look at something' },
  change: { kind: 'write', summary: 'change something' },
  run: { kind: 'execute', summary: 'run a command' },
};

function harness(mode: AutonomyMode, call: { name: string; input: unknown }, allow?: string[]) {
  const ran: string[] = [];
  const model = scriptedModel([toolTurn([{ id: 'call-1', ...call }]), textTurn('finished')]);
  const recorded = agent.start({
    model,
    catalog,
    config: { agent: { mode, ...(allow ? { allow } : {}) } },
    tools: () => ({
      look: recordingTool('look', ran),
      change: recordingTool('change', ran),
      run: tool({
        inputSchema: z.object({ command: z.string() }),
        execute: async ({ command }) => {
          ran.push(`run ${command}`);
          return { exitCode: 0 };
        },
      }),
    }),
  });
  return { ...recorded, model, ran };
}

/** A tool that records `<name> <what>` when it runs. */
function recordingTool(name: string, ran: string[]) {
  return tool({
    inputSchema: z.object({ what: z.string() }),
    execute: async ({ what }) => {
      ran.push(`${name} ${what}`);
      return { done: what };
    },
  });
}

async function approvalRequest(
  recorded: RecordedTask,
): Promise<Extract<UIMessageChunk, { type: 'tool-approval-request' }>> {
  await waitFor(
    () => recorded.progress.some((event) => event.kind === 'status' && event.detail === 'awaiting-approval'),
    { description: 'awaiting-approval' },
  );
  const chunk = recorded.chunks.find((item) => item.type === 'tool-approval-request');
  if (chunk?.type !== 'tool-approval-request') throw new Error('no approval request');
  return chunk;
}

describe.each([
  ['always-ask', { name: 'look', input: { what: 'logs' } }],
  ['agent-decides', { name: 'change', input: { what: 'config' } }],
] as const)('%s mode', (mode, call) => {
  it(`waits for approval of ${call.name}, then runs it when approved`, async () => {
    const h = harness(mode, call);
    const request = await approvalRequest(h);
    expect(request.toolCallId).toBe('call-1');
    expect(h.ran).toEqual([]);
    expect(h.task.answerApproval('unknown-id', true)).toBe(false);
    expect(h.task.answerApproval(request.approvalId, true, 'go ahead')).toBe(true);
    expect(h.task.answerApproval(request.approvalId, true)).toBe(false);
    expect((await h.task.done).status).toBe('completed');
    expect(h.ran).toEqual([`${call.name} ${call.input.what}`]);
    const types = chunkTypes(h.chunks);
    expect(types.filter((type) => type === 'start')).toHaveLength(1);
    expect(types.indexOf('tool-approval-response')).toBeGreaterThan(types.indexOf('tool-approval-request'));
    expect(types.indexOf('tool-output-available')).toBeGreaterThan(types.indexOf('tool-approval-response'));
    expect(h.chunks).toContainEqual({
      type: 'tool-approval-response',
      approvalId: request.approvalId,
      approved: true,
      reason: 'go ahead',
    });
  });

  it(`tells the model when ${call.name} is denied and never runs it`, async () => {
    const h = harness(mode, call);
    const request = await approvalRequest(h);
    h.task.answerApproval(request.approvalId, false, 'not on a Friday');
    expect((await h.task.done).status).toBe('completed');
    expect(h.ran).toEqual([]);
    expect(chunkTypes(h.chunks)).toContain('tool-output-denied');
    const second = promptText(h.model.doStreamCalls[1]!);
    expect(second).toContain('execution-denied');
    expect(second).toContain('not on a Friday');
  });
});

describe('agent-decides mode', () => {
  it('runs read-only tools without asking', async () => {
    const h = harness('agent-decides', { name: 'look', input: { what: 'logs' } });
    expect((await h.task.done).status).toBe('completed');
    expect(h.ran).toEqual(['look logs']);
    expect(chunkTypes(h.chunks)).not.toContain('tool-approval-request');
  });

  it('runs a write covered by an allow rule, recording the automatic approval', async () => {
    const h = harness('agent-decides', { name: 'run', input: { command: 'npm test' } }, ['npm test']);
    expect((await h.task.done).status).toBe('completed');
    expect(h.ran).toEqual(['run npm test']);
    expect(h.chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-approval-request', isAutomatic: true }),
    );
    expect(h.chunks).toContainEqual(
      expect.objectContaining({
        type: 'tool-approval-response',
        approved: true,
        reason: 'allowed by rule "npm test"',
      }),
    );
  });
});

describe('always-execute mode', () => {
  it('runs writes and commands without asking', async () => {
    const h = harness('always-execute', { name: 'run', input: { command: 'make build' } });
    expect((await h.task.done).status).toBe('completed');
    expect(h.ran).toEqual(['run make build']);
    expect(chunkTypes(h.chunks)).not.toContain('tool-approval-request');
  });

  it('refuses a call on the deny list and tells the model why', async () => {
    const h = harness('always-execute', {
      name: 'run',
      input: { command: 'sudo rm -rf / --no-preserve-root' },
    });
    expect((await h.task.done).status).toBe('completed');
    expect(h.ran).toEqual([]);
    expect(h.progress).not.toContainEqual({ kind: 'status', detail: 'awaiting-approval' });
    expect(chunkTypes(h.chunks)).toContain('tool-output-denied');
    expect(promptText(h.model.doStreamCalls[1]!)).toContain('deny list');
  });
});

describe('stop while waiting for approval', () => {
  it('ends the task as stopped without running the tool', async () => {
    const h = harness('always-ask', { name: 'look', input: { what: 'logs' } });
    await approvalRequest(h);
    h.task.stop('operator left');
    expect(await h.task.done).toEqual({ status: 'stopped', reason: 'operator left' });
    expect(h.ran).toEqual([]);
    expect(chunkTypes(h.chunks)).toContain('abort');
  });
});
