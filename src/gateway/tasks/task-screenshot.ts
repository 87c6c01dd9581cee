import { createHash } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import { type ScreenshotPart, ScreenshotPartSchema } from '../../protocol/index.ts';
import type { TasksStore } from '../store/index.ts';

const PAGE = 1000;
const SCREENSHOT_TYPE = '"data-screenshot"';

type ScreenshotStore = Pick<TasksStore, 'getTask' | 'readTaskLog'>;

export interface StoredScreenshot {
  mediaType: ScreenshotPart['mediaType'];
  image: Uint8Array<ArrayBuffer>;
}

/**
 * GET /api/tasks/:id/screenshots/:name: the image of the task's `data-screenshot` part with that
 * artifact name, read from its durable stream log (the last one, should a name repeat) and
 * checked against the sha256 the agent recorded, so the gateway serves visual evidence without
 * reaching into the viber's workspace.
 */
export async function readTaskScreenshot(
  store: ScreenshotStore,
  taskId: string,
  name: string,
): Promise<StoredScreenshot> {
  const task = await store.getTask(taskId);
  if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
  const part = await lastScreenshot(store, taskId, name);
  if (!part) throw new OpenViberError('not_found', `task ${taskId} has no screenshot named ${name}`, 404);
  const image = new Uint8Array(Buffer.from(part.base64, 'base64'));
  const digest = createHash('sha256').update(image).digest('hex');
  if (digest !== part.sha256 || image.byteLength !== part.bytes) {
    throw new OpenViberError(
      'internal',
      `the stored screenshot ${name} of ${taskId} does not match its recorded sha256`,
      500,
    );
  }
  return { mediaType: part.mediaType, image };
}

async function lastScreenshot(
  store: ScreenshotStore,
  taskId: string,
  name: string,
): Promise<ScreenshotPart | undefined> {
  let found: ScreenshotPart | undefined;
  for (let after = 0; ; ) {
    const rows = await store.readTaskLog(taskId, after, PAGE);
    for (const row of rows) {
      if (row.type !== 'task:stream-chunk' || !row.payload.includes(SCREENSHOT_TYPE)) continue;
      const part = screenshotOf(row.payload);
      if (part?.name === name) found = part;
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)!.seq;
  }
  return found;
}

function screenshotOf(payload: string): ScreenshotPart | undefined {
  let chunk: { type?: unknown; data?: unknown };
  try {
    chunk = JSON.parse(payload) as typeof chunk;
  } catch {
    return undefined;
  }
  if (chunk.type !== 'data-screenshot') return undefined;
  const parsed = ScreenshotPartSchema.safeParse(chunk.data);
  return parsed.success ? parsed.data : undefined;
}
