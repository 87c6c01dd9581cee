import { waitFor } from '../wait.ts';

/**
 * How a test waits for what a platform fixture recorded (a message the bot sent, a post): the
 * first record `predicate` holds for, once there is one; the timeout error names `description`.
 */
export type WaitForRecord<T> = (
  predicate: (record: T) => boolean,
  description: string,
  timeoutMs?: number,
) => Promise<T>;

/** A WaitForRecord over `records`, the list the fixture appends to. */
export function waitForRecord<T>(records: readonly T[]): WaitForRecord<T> {
  return (predicate, description, timeoutMs = 30_000) =>
    waitFor(() => records.find(predicate), { description, timeoutMs });
}
