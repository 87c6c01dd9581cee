import type { AgentTaskOutcome } from '../agent/agent-task.ts';
import { LIMITS, TaskResultSchema, type UnnumberedTaskEvent } from '../protocol/index.ts';
import { clipText } from './chunk-fit.ts';
import type { SessionRecord } from './session-log.ts';

const clippedNote = (length: number) =>
  `\n\n[answer clipped to ${LIMITS.maxResultChars} of ${length} characters; the task stream has all of it]`;

/** The final task event for an outcome, clipped to the wire limits and checked, so the gateway can
 * always store it (a refused final event would end the task in error instead). The final answer
 * is clipped to LIMITS.maxResultChars: it was streamed whole already, and a task record is read
 * far more often than its stream. */
export function terminalEvent(taskId: string, outcome: AgentTaskOutcome): UnnumberedTaskEvent {
  switch (outcome?.status) {
    case 'completed': {
      const result = TaskResultSchema.safeParse(outcome.result);
      if (!result.success) {
        return { type: 'task:error', taskId, error: 'the agent returned an invalid result' };
      }
      const text = clipText(result.data.text, LIMITS.maxResultChars, clippedNote);
      return { type: 'task:completed', taskId, result: { ...result.data, text } };
    }
    case 'stopped':
      return { type: 'task:stopped', taskId, reason: String(outcome.reason).slice(0, 2000) };
    case 'error':
      return { type: 'task:error', taskId, error: String(outcome.error).slice(0, 8000) };
    default:
      return { type: 'task:error', taskId, error: 'the agent ended with an unknown outcome' };
  }
}

/** The session log's last line for a task. */
export function outcomeRecord(event: UnnumberedTaskEvent): SessionRecord {
  switch (event.type) {
    case 'task:completed':
      return { kind: 'outcome', status: 'completed', result: event.result };
    case 'task:stopped':
      return { kind: 'outcome', status: 'stopped', reason: event.reason };
    default:
      return {
        kind: 'outcome',
        status: 'error',
        error: event.type === 'task:error' ? event.error : '',
      };
  }
}
