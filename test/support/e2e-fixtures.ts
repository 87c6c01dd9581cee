import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UIMessage } from 'ai';
import type { TaskDetailResponse, TaskStatus } from '../../src/protocol/index.ts';
import { type ChatRequestBody, type ScriptTurn, textOf } from './openai-script.ts';
import type { RestClient } from './rest-client.ts';
import { makeTempDir } from './temp-dirs.ts';
import { waitFor } from './wait.ts';

/** Shared pieces of the e2e scenarios: scripted conversations, fixtures and assertions. */

/** The tool the scripted model calls: listing a fixture folder gives the same output on every run. */
export const TOOL_NAME = 'list_directory';
export const TOOL_INPUT = { path: '.' };
export const FINAL_TEXT = 'The folder holds alpha.txt and beta.txt; nothing else is there.';

/** A folder with two small files, used as the task's working directory. */
export function makeFixtureDir(): string {
  const dir = makeTempDir('fixture');
  writeFileSync(join(dir, 'alpha.txt'), 'alpha\n');
  writeFileSync(join(dir, 'beta.txt'), 'beta\n');
  return dir;
}

export function lastMessage(body: ChatRequestBody): ChatRequestBody['messages'][number] | undefined {
  return body.messages.at(-1);
}

/** The user text of a request: everything the user said, joined (goal and follow-ups). */
export function userText(body: ChatRequestBody): string {
  return body.messages
    .filter((message) => message.role === 'user')
    .map((message) => textOf(message.content))
    .join('\n');
}

export interface ToolThenTextOptions {
  /** Extra settings for the final text turn (delays, gates). */
  textTurn?: (body: ChatRequestBody) => Partial<Extract<ScriptTurn, { type: 'text' }>>;
  text?: string;
}

/**
 * Answers by conversation state, so retries and several tasks cannot desynchronise it: a
 * conversation that has no tool result yet gets the tool call; one that has gets the final text.
 * The tool call id is fixed, so every run yields the same message.
 */
export function toolThenText(
  options: ToolThenTextOptions = {},
): (request: { body: ChatRequestBody }) => ScriptTurn {
  return ({ body }) => {
    if (lastMessage(body)?.role !== 'tool') {
      return { type: 'tool-calls', calls: [{ id: 'call_list_1', name: TOOL_NAME, input: TOOL_INPUT }] };
    }
    return { type: 'text', text: options.text ?? FINAL_TEXT, ...options.textTurn?.(body) };
  };
}

/**
 * A message without what differs between two runs of the same conversation: its id, task ids and
 * timestamps (the final report names its task and time), provider metadata.
 */
export function normalizeMessage(message: UIMessage | undefined): unknown {
  if (!message) return undefined;
  const text = JSON.stringify({ role: message.role, parts: message.parts }, (key, value) =>
    key === 'providerMetadata' || key === 'callProviderMetadata' ? undefined : value,
  );
  return JSON.parse(
    text.replace(/task_[a-z0-9-]+/g, 'task_*').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>'),
  );
}

/** Text parts of every message, in order. */
export function allTextsOf(messages: UIMessage[]): string[] {
  return messages.flatMap((message) => textsOf(message));
}

/** Waits until the task reaches `status` (or any terminal status if it reaches another one). */
export async function waitForTaskStatus(
  rest: RestClient,
  taskId: string,
  status: TaskStatus,
  timeoutMs = 45_000,
): Promise<TaskDetailResponse> {
  const detail = await waitFor(
    async () => {
      const current = await rest.getTask(taskId);
      if (current.task.status === status) return current;
      if (['completed', 'error', 'stopped'].includes(current.task.status)) {
        throw new Error(
          `task ended ${current.task.status} (${current.task.error ?? 'no error'}), expected ${status}`,
        );
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 100, description: `task ${taskId} to be ${status}` },
  );
  return detail;
}

/** Text parts of a message, in order. */
export function textsOf(message: UIMessage | undefined): string[] {
  return (message?.parts ?? []).flatMap((part) => (part.type === 'text' ? [part.text] : []));
}

/** The tool part for `toolName`, static (`tool-<name>`) or dynamic. */
export function toolPartOf(
  message: UIMessage | undefined,
  toolName: string,
): Record<string, unknown> | undefined {
  return (message?.parts ?? []).find(
    (part) =>
      part.type === `tool-${toolName}` ||
      (part.type === 'dynamic-tool' && 'toolName' in part && part.toolName === toolName),
  ) as Record<string, unknown> | undefined;
}

/** Where `seqs` stop strictly increasing (a duplicate or a step back), or undefined when they never do. */
export function checkStrictlyIncreasing(seqs: number[]): string | undefined {
  for (let index = 1; index < seqs.length; index++) {
    if (!(seqs[index]! > seqs[index - 1]!))
      return `seq ${seqs[index]} after ${seqs[index - 1]} at position ${index}`;
  }
  return undefined;
}

/** Numbers from 1 to n. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, index) => index + 1);
}
