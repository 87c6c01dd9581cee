import type { TasksStore } from '../store/index.ts';
import { readTaskScreenshot } from '../tasks/task-screenshot.ts';
import type { OutboundMessage } from './channel-adapter.ts';
import { ChannelSendError } from './channel-send-error.ts';

/** At most this many screenshots go to a chat with an answer: the task's last ones. */
const MAX_SENT = 5;
const PAGE = 1000;

type ScreenshotStore = Pick<TasksStore, 'getTask' | 'readTaskLog'>;

/**
 * A task's screenshot as queued: a reference, not the image (it is in the task's stream log
 * already, up to 600 KiB each); the delivery worker reads it when it sends (`screenshotFile`).
 */
export interface ScreenshotRef {
  kind: 'screenshot';
  taskId: string;
  name: string;
}

/**
 * The names of a task's screenshots (its `data-screenshot` parts: the visual evidence the board
 * shows, docs/browser.md), in the order taken, each once; the last MAX_SENT of them.
 */
export async function screenshotNames(store: ScreenshotStore, taskId: string): Promise<string[]> {
  const names: string[] = [];
  for (let after = 0; ; ) {
    const rows = await store.readTaskLog(taskId, after, PAGE);
    for (const row of rows) {
      if (row.type !== 'task:stream-chunk' || !row.payload.includes('"data-screenshot"')) continue;
      const name = nameOf(row.payload);
      if (name && !names.includes(name)) names.push(name);
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)!.seq;
  }
  return names.slice(-MAX_SENT);
}

/** The screenshot as a file to send (an image goes as a photo), checked against its sha256. */
export async function screenshotFile(store: ScreenshotStore, ref: ScreenshotRef): Promise<OutboundMessage> {
  try {
    const shot = await readTaskScreenshot(store, ref.taskId, ref.name);
    return {
      kind: 'file',
      name: ref.name,
      mediaType: shot.mediaType,
      base64: Buffer.from(shot.image).toString('base64'),
      caption: ref.name,
    };
  } catch (error) {
    // Gone (the task was deleted) or damaged: no retry brings it back.
    throw new ChannelSendError(`screenshot ${ref.name}: ${(error as Error).message}`, { retryable: false });
  }
}

function nameOf(payload: string): string | undefined {
  try {
    const chunk = JSON.parse(payload) as { type?: unknown; data?: { name?: unknown } };
    return chunk.type === 'data-screenshot' && typeof chunk.data?.name === 'string'
      ? chunk.data.name
      : undefined;
  } catch {
    return undefined;
  }
}
