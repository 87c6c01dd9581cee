import type { UIMessageChunk } from 'ai';
import { startModelServer } from '../support/e2e-cleanup.ts';
import { checkStrictlyIncreasing } from '../support/e2e-fixtures.ts';
import type { OpenAITestServer } from '../support/openai-test-server.ts';
import type { TaskStreamReader } from '../support/task-stream-reader.ts';
import type { GatewayHandle } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

/** What the chaos scenarios share: a long scripted answer, and comparing a stream with a reference. */

/** 160 words, streamed one word per chunk: long enough to be interrupted many times. */
export const LONG_ANSWER = Array.from(
  { length: 160 },
  (_, index) => `word${index + 1}${index % 12 === 11 ? '.' : ''}`,
).join(' ');

/** The OpenAI-compatible test server answering every request with LONG_ANSWER, a chunk every `chunkDelayMs`. */
export function startStreamingModel(chunkDelayMs: number): Promise<OpenAITestServer> {
  return startModelServer({ script: () => ({ type: 'text', text: LONG_ANSWER, chunkDelayMs }) });
}

/** A chunk without what differs between two runs of one conversation (ids, task ids, times). */
export function normalizeChunk(chunk: UIMessageChunk): string {
  return JSON.stringify(chunk, (key, value) =>
    key === 'messageId' || key === 'providerMetadata' ? undefined : value,
  )
    .replace(/task_[a-z0-9-]+/g, 'task_*')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
}

export interface StreamComparison {
  /** Chunks of the reference compared with the stream read. */
  compared: number;
  /** Reference chunks the stream lacks. */
  lost: number;
  /** Events read twice (the same seq again). */
  duplicated: number;
  /** Positions where the deduplicated stream differs from the reference. */
  mismatched: number;
  /** Where seqs stop increasing, if they do. */
  seqProblem?: string;
}

/** Compares what `reader` read (over all its connections) with the reference chunks, chunk for chunk. */
export function compareStream(reader: TaskStreamReader, reference: UIMessageChunk[]): StreamComparison {
  const seen = new Set<string>();
  const unique: UIMessageChunk[] = [];
  let duplicated = 0;
  reader.chunks.forEach((chunk, index) => {
    const id = reader.events[index]?.id ?? `#${index}`;
    if (seen.has(id)) duplicated++;
    else {
      seen.add(id);
      unique.push(chunk);
    }
  });
  const expected = reference.map(normalizeChunk);
  const got = unique.map(normalizeChunk);
  let mismatched = 0;
  for (let index = 0; index < Math.min(expected.length, got.length); index++) {
    if (expected[index] !== got[index]) mismatched++;
  }
  const seqProblem = checkStrictlyIncreasing(reader.seqs);
  return {
    compared: expected.length,
    lost: Math.max(0, expected.length - got.length),
    duplicated,
    mismatched: mismatched + Math.max(0, got.length - expected.length),
    ...(seqProblem ? { seqProblem } : {}),
  };
}

/** What a stream that lived through daemon restarts delivered, against an uninterrupted run. */
export interface ResumedComparison {
  /** Events the stream carries (distinct seqs). */
  events: number;
  /** Stream events the gateway stored that the reader never got. */
  lost: number;
  /** Events read twice (the same seq again). */
  duplicated: number;
  /** `data-viber-restarted` markers in the stream. */
  restarts: number;
  /** Whether the text after the last restart is the reference's whole answer. */
  answerEqual: boolean;
}

/**
 * A daemon killed mid-answer cannot replay the model's stream: the step it was in is asked again
 * after the restart (docs/daemon.md). So a resumed stream is judged by what the contract promises:
 * every stored event once (none missing, none twice), a marker per restart, and the
 * answer after the last restart equal to the uninterrupted run's.
 */
export function compareResumedStream(
  reader: TaskStreamReader,
  reference: UIMessageChunk[],
  stored: { lastSeq: number; lifecycleSeqs: readonly number[] },
): ResumedComparison {
  const seqs = reader.seqs;
  const distinct = new Set(seqs);
  // The gateway stores a task's events gap-free (1..lastSeq); those that are not lifecycle events
  // are the stream's chunks, each of which the reader must have got.
  const lifecycle = new Set(stored.lifecycleSeqs);
  let lost = 0;
  for (let seq = 1; seq <= stored.lastSeq; seq++) if (!lifecycle.has(seq) && !distinct.has(seq)) lost++;
  const textOf = (chunks: readonly UIMessageChunk[]) =>
    chunks.map((chunk) => (chunk.type === 'text-delta' ? chunk.delta : '')).join('');
  const seen = new Set<string>();
  const unique = reader.chunks.filter((_, index) => {
    const id = reader.events[index]?.id ?? `#${index}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const lastRestart = unique.findLastIndex((chunk) => chunk.type === 'data-viber-restarted');
  return {
    events: distinct.size,
    lost,
    duplicated: seqs.length - distinct.size,
    restarts: unique.filter((chunk) => chunk.type === 'data-viber-restarted').length,
    answerEqual: textOf(unique.slice(lastRestart + 1)) === textOf(reference),
  };
}

/** Adds comparisons up. */
export function sumComparisons(all: StreamComparison[]): StreamComparison {
  return all.reduce<StreamComparison>(
    (sum, one) => ({
      compared: sum.compared + one.compared,
      lost: sum.lost + one.lost,
      duplicated: sum.duplicated + one.duplicated,
      mismatched: sum.mismatched + one.mismatched,
      ...(sum.seqProblem || one.seqProblem ? { seqProblem: sum.seqProblem ?? one.seqProblem } : {}),
    }),
    { compared: 0, lost: 0, duplicated: 0, mismatched: 0 },
  );
}

/** Runs one task with no interruption and returns its chunks: the reference every scenario compares with. */
export async function referenceRun(gateway: GatewayHandle, viberId: string): Promise<UIMessageChunk[]> {
  const task = await gateway.rest.createTask({ goal: 'Recite the words (reference run)', viberId });
  const reader = await gateway.follow(task.id);
  await withTimeout(reader.finished, 120_000, 'the reference run to end');
  reader.close();
  if (reader.chunks.length < 50)
    throw new Error(`the reference run streamed only ${reader.chunks.length} chunks`);
  return [...reader.chunks];
}

/** Whole seconds since `start` (Date.now()), one decimal. */
export function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

export function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
