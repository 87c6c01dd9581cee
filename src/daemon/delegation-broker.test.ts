import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AgentFollowUp } from '../agent/agent-task.ts';
import type { DaemonMessage } from '../protocol/index.ts';
import { DelegationBroker } from './delegation-broker.ts';
import type { RuntimeResult } from './task-runtime.ts';

// The daemon's side of delegation (docs/delegation.md): requests go again after a reconnect until
// answered, and a child's end goes to the call waiting for it, else to its task as a follow-up
// (which TaskRuntime.send journals), once.

function setup(result: RuntimeResult = { ok: true }) {
  const sent: DaemonMessage[] = [];
  const delivered: Array<[string, AgentFollowUp]> = [];
  const broker = new DelegationBroker({
    send: (message) => {
      sent.push(message);
      return true;
    },
    deliver: (taskId, followUp) => {
      delivered.push([taskId, followUp]);
      return result;
    },
    logger: pino({ level: 'silent' }),
  });
  return { broker, sent, delivered };
}

const request = (requestId: string) => ({
  requestId,
  goal: 'child work',
  parentMode: 'agent-decides' as const,
});

const ended = (requestId: string, childTaskId: string, commandId = `cmd_${childTaskId}`) => ({
  type: 'task:child-ended' as const,
  commandId,
  taskId: 'task_parent',
  childTaskId,
  requestId,
  viberId: 'viber_b',
  status: 'completed' as const,
  answer: 'forty-two',
  error: null,
  usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
  report: null,
});

const delegated = (requestId: string, childTaskId: string) => ({
  type: 'task:delegated' as const,
  requestId,
  taskId: 'task_parent',
  childTaskId,
  viberId: 'viber_b',
  viberName: 'b',
  mode: 'agent-decides' as const,
});

describe('DelegationBroker', () => {
  it('sends a request again after every reconnect until the gateway answers it', async () => {
    const { broker, sent } = setup();
    const port = broker.portFor('task_parent');
    const child = port.start(request('call_1'), { signal: new AbortController().signal, wait: true });
    broker.resendPending();
    expect(sent.map((message) => message.type === 'task:delegate' && message.requestId)).toEqual([
      'call_1',
      'call_1',
    ]);
    broker.answer(delegated('call_1', 'task_child'));
    await expect(child).resolves.toMatchObject({ childTaskId: 'task_child' });
    broker.resendPending();
    expect(sent).toHaveLength(2);
  });

  it("hands a child's end to the call waiting for it, once", async () => {
    const { broker, delivered } = setup();
    const port = broker.portFor('task_parent');
    const signal = new AbortController().signal;
    const start = port.start(request('call_w'), { signal, wait: true });
    broker.answer(delegated('call_w', 'task_child'));
    await start;
    const outcome = port.waitForEnd('call_w', signal);
    expect(broker.childEnded(ended('call_w', 'task_child'))).toEqual({ ok: true });
    await expect(outcome).resolves.toMatchObject({ childTaskId: 'task_child', answer: 'forty-two' });
    // The same end again (another commandId): acted on once.
    expect(broker.childEnded(ended('call_w', 'task_child', 'cmd_again'))).toEqual({ ok: true });
    expect(delivered).toEqual([]);
  });

  it('keeps an end that came before the answer for the call that will wait for it', async () => {
    const { broker, delivered } = setup();
    const port = broker.portFor('task_parent');
    const signal = new AbortController().signal;
    const start = port.start(request('call_early'), { signal, wait: true });
    broker.childEnded(ended('call_early', 'task_child'));
    broker.answer(delegated('call_early', 'task_child'));
    await start;
    await expect(port.waitForEnd('call_early', signal)).resolves.toMatchObject({ childTaskId: 'task_child' });
    expect(delivered).toEqual([]);
  });

  it('delivers the end of a child nobody waits for as a collect follow-up carrying its usage', async () => {
    const { broker, delivered } = setup();
    const port = broker.portFor('task_parent');
    // wait=false, and the end arrives even before the start's answer: still the task's message.
    const start = port.start(request('call_free'), { signal: new AbortController().signal, wait: false });
    expect(broker.childEnded(ended('call_free', 'task_free'))).toEqual({ ok: true });
    broker.answer(delegated('call_free', 'task_free'));
    await start;
    // No port at all (a daemon that restarted while the call waited): the same.
    broker.childEnded(ended('call_gone', 'task_gone'));
    expect(delivered.map(([taskId, followUp]) => [taskId, followUp.id, followUp.injectionMode])).toEqual([
      ['task_parent', 'child-task_free', 'collect'],
      ['task_parent', 'child-task_gone', 'collect'],
    ]);
    const [, followUp] = delivered[0]!;
    expect(followUp.text).toBe('[delegated task task_free completed]\nAnswer: forty-two');
    expect(followUp.childUsage).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
  });

  it('answers what the task runtime answers when the parent is no longer running', () => {
    const refused: RuntimeResult = {
      ok: false,
      code: 'task_finished',
      message: 'task task_parent has already ended',
    };
    const { broker } = setup(refused);
    expect(broker.childEnded(ended('call_late', 'task_late'))).toEqual(refused);
  });

  it("rejects a task's pending requests when it ends", async () => {
    const { broker } = setup();
    const port = broker.portFor('task_parent');
    const start = port.start(request('call_x'), { signal: new AbortController().signal, wait: true });
    port.close();
    await expect(start).rejects.toThrow('the task was stopped while it delegated');
  });
});
