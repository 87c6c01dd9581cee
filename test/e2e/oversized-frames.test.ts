import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { makeFixtureDir, textsOf, userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

// Item 4 of the hardening issue, over real processes: a final answer over the frame limit used to
// make the gateway close the socket (1009), the daemon resend it after every reconnect, and the
// viber's other tasks stall. A 2 MiB answer must complete, whole in the stream, and a second task
// on the same viber must run.

useE2eCleanup();

const LINES = 32 * 1024;
/** 2 MiB of numbered 64-character lines, so a lost, doubled or reordered piece shows. */
const BIG_ANSWER = Array.from(
  { length: LINES },
  (_, index) =>
    `${String(index).padStart(6, '0')} ${'the quick brown fox jumps over the lazy dog '}${'#'.repeat(12)}\n`,
).join('');
/** Streamed in 64 KiB deltas, as a fast model would. */
const BIG_PIECES = Array.from({ length: 32 }, (_, index) =>
  BIG_ANSWER.slice(index * 65_536, (index + 1) * 65_536),
);
const SMALL_ANSWER = 'The second task ran.';

describe('a final answer over the frame limit', () => {
  it('completes, streams whole, and the next task on the same viber runs', async () => {
    expect(BIG_ANSWER.length).toBe(2 * 1024 * 1024);
    const model = await startModelServer({
      script: ({ body }) =>
        userText(body).includes('big')
          ? { type: 'text', text: BIG_PIECES }
          : { type: 'text', text: SMALL_ANSWER },
    });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'oversized' });
    const cwd = makeFixtureDir();

    const big = await gateway.rest.createTask({
      goal: 'Write the big answer.',
      viberId: daemon.viberId,
      options: { cwd },
    });
    const reader = await gateway.follow(big.id);
    const message = await withTimeout(reader.finished, 45_000, 'the big answer stream to end');
    expect(reader.sawDone).toBe(true);
    expect(reader.parseErrors).toEqual([]);
    expect(reader.messageErrors).toEqual([]);
    expect(textsOf(message).join('')).toBe(BIG_ANSWER);

    const detail = await waitForTaskStatus(gateway.rest, big.id, 'completed', 30_000);
    const result = detail.task.result!;
    expect(result.text.length).toBeLessThanOrEqual(LIMITS.maxResultChars);
    expect(result.text).toContain(
      `[answer clipped to ${LIMITS.maxResultChars} of ${BIG_ANSWER.length} characters;`,
    );
    expect(BIG_ANSWER.startsWith(result.text.split('\n\n[answer clipped')[0]!)).toBe(true);

    const small = await gateway.rest.createTask({
      goal: 'Answer briefly.',
      viberId: daemon.viberId,
      options: { cwd },
    });
    const smallMessage = await withTimeout(
      (await gateway.follow(small.id)).finished,
      30_000,
      'the second task on the same viber',
    );
    expect(textsOf(smallMessage)).toEqual([SMALL_ANSWER]);
    expect((await waitForTaskStatus(gateway.rest, small.id, 'completed', 15_000)).task.result?.text).toBe(
      SMALL_ANSWER,
    );

    // One connection all along: nothing was refused, so nothing was resent.
    expect(daemon.connections).toBe(1);
    expect(daemon.process.stderr).not.toMatch(/disconnected from gateway/);
    expect(gateway.process.stderr).not.toMatch(/bad frame|task event refused/);
  });
});
