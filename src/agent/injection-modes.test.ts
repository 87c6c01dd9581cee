import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chunkTypes, type RecordedTask, useAgentTest } from '../../test/support/in-process/agent-test.ts';
import { promptText, scriptedModel, textTurn, toolTurn } from '../../test/support/scripted-model.ts';
import { createGate, waitFor } from '../../test/support/wait.ts';

const agent = useAgentTest();

/** A model step that holds its answer until the gate opens. */
function held(parts: LanguageModelV4StreamPart[], until: Promise<void>) {
  return () =>
    new ReadableStream<LanguageModelV4StreamPart>({
      async start(controller) {
        await until;
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
}

function lastUserText(options: LanguageModelV4CallOptions): string {
  const users = options.prompt.filter((message) => message.role === 'user');
  const last = users.at(-1);
  if (!last || typeof last.content === 'string') return String(last?.content ?? '');
  return last.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

function applied(progress: RecordedTask['progress']): string[] {
  return progress.flatMap((event) =>
    event.kind === 'message-applied' ? [`${event.injectionMode}:${event.messageId}`] : [],
  );
}

describe('injection modes', () => {
  it('followup: each message is its own turn after the current run, in order', async () => {
    const release = createGate();
    const model = scriptedModel([held(textTurn('one'), release.wait()), textTurn('two'), textTurn('three')]);
    const h = agent.start({ model });
    await waitFor(() => model.doStreamCalls.length === 1, { description: 'the first call' });
    h.task.send({ id: 'msg_a', text: 'first follow-up', injectionMode: 'followup' });
    h.task.send({ id: 'msg_b', text: 'second follow-up', injectionMode: 'followup' });
    h.task.send({ id: 'msg_a', text: 'first follow-up', injectionMode: 'followup' }); // redelivered: ignored
    release.open();
    const outcome = await h.task.done;
    expect(outcome.status === 'completed' && outcome.result.text).toBe('three');
    expect(model.doStreamCalls.map(lastUserText)).toEqual([
      'do the thing',
      'first follow-up',
      'second follow-up',
    ]);
    expect(applied(h.progress)).toEqual(['followup:msg_a', 'followup:msg_b']);
    expect(chunkTypes(h.chunks).filter((type) => type === 'start')).toHaveLength(3);
  });

  it('collect: buffered messages merge into one follow-up after the current run', async () => {
    const release = createGate();
    const model = scriptedModel([held(textTurn('one'), release.wait()), textTurn('two'), textTurn('three')]);
    const h = agent.start({ model });
    await waitFor(() => model.doStreamCalls.length === 1, { description: 'the first call' });
    h.task.send({ id: 'msg_c1', text: 'also check A', injectionMode: 'collect' });
    h.task.send({ id: 'msg_f', text: 'then do B', injectionMode: 'followup' });
    h.task.send({ id: 'msg_c2', text: 'and check C', injectionMode: 'collect' });
    release.open();
    expect((await h.task.done).status).toBe('completed');
    expect(model.doStreamCalls.map(lastUserText)).toEqual([
      'do the thing',
      'also check A\n\nand check C',
      'then do B',
    ]);
    expect(applied(h.progress)).toEqual(['collect:msg_c1', 'collect:msg_c2', 'followup:msg_f']);
  });

  it('steer: ends the run at the next step boundary, after the running tool finished, and goes first', async () => {
    const toolGate = createGate();
    const effects: string[] = [];
    const model = scriptedModel([
      toolTurn([{ id: 'call-1', name: 'slow', input: {} }]),
      textTurn('steered answer'),
      textTurn('follow-up answer'),
    ]);
    const h = agent.start({
      model,
      catalog: { slow: { kind: 'read', summary: 'slow' } },
      tools: () => ({
        slow: tool({
          inputSchema: z.object({}),
          execute: async () => {
            effects.push('started');
            await toolGate.wait();
            effects.push('finished');
            return { ok: true };
          },
        }),
      }),
    });
    await waitFor(() => effects.includes('started'), { description: 'the tool to start' });
    h.task.send({ id: 'msg_f', text: 'afterwards, tidy up', injectionMode: 'followup' });
    h.task.send({ id: 'msg_s', text: 'stop that, do Y instead', injectionMode: 'steer' });
    toolGate.open();
    const outcome = await h.task.done;
    expect(outcome.status === 'completed' && outcome.result.text).toBe('follow-up answer');
    // The tool's side effect completed; no model call continued the old run.
    expect(effects).toEqual(['started', 'finished']);
    expect(model.doStreamCalls).toHaveLength(3);
    const steered = promptText(model.doStreamCalls[1]!);
    expect(lastUserText(model.doStreamCalls[1]!)).toBe('stop that, do Y instead');
    expect(steered).toContain('call-1');
    expect(lastUserText(model.doStreamCalls[2]!)).toBe('afterwards, tidy up');
    expect(applied(h.progress)).toEqual(['steer:msg_s', 'followup:msg_f']);
    expect(chunkTypes(h.chunks).filter((type) => type === 'finish')).toHaveLength(3);
  });

  it('steer while waiting for approval: the pending action is not run and the model is told', async () => {
    const ran: string[] = [];
    const model = scriptedModel([
      toolTurn([{ id: 'call-1', name: 'change', input: {} }]),
      textTurn('ok, doing Y'),
    ]);
    const h = agent.start({
      model,
      catalog: { change: { kind: 'write', summary: 'change' } },
      tools: () => ({
        change: tool({
          inputSchema: z.object({}),
          execute: async () => {
            ran.push('change');
            return { ok: true };
          },
        }),
      }),
    });
    await waitFor(
      () => h.progress.some((event) => event.kind === 'status' && event.detail === 'awaiting-approval'),
      { description: 'approval' },
    );
    h.task.send({ id: 'msg_s', text: 'do Y instead', injectionMode: 'steer' });
    expect((await h.task.done).status).toBe('completed');
    expect(ran).toEqual([]);
    expect(chunkTypes(h.chunks)).toContain('tool-output-denied');
    const prompt = promptText(model.doStreamCalls[1]!);
    expect(prompt).toContain('execution-denied');
    expect(lastUserText(model.doStreamCalls[1]!)).toBe('do Y instead');
  });
});
