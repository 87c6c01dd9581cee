import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SCREENSHOT_BYTES, type ScreenshotPart } from '../protocol/index.ts';
import { sha256 } from './tools/text-file.ts';
import type { ToolContext } from './tools/tool-context.ts';
import { ToolError } from './tools/tool-error.ts';

export { MAX_SCREENSHOT_BYTES };

/** What a tool knows when it took a screenshot: its task context and its tool call. */
export interface ScreenshotCall {
  context: Pick<ToolContext, 'artifactsDir' | 'writeData' | 'recordEvidence'>;
  toolCallId: string;
}

export interface RecordedScreenshot {
  /** Artifact name, e.g. "screenshot-call_1.png". */
  name: string;
  /** Absolute path under the task's artifacts folder. */
  path: string;
  sha256: string;
  bytes: number;
  mediaType: 'image/png' | 'image/jpeg';
  /** What a report claim cites to rely on this image: the tool call id that took it. */
  evidenceId: string;
}

/**
 * Visual evidence, shared by the browser and desktop tools: saves the image as a task artifact,
 * records `{kind:'file'}` evidence (path, sha256, bytes, media type, the action that produced it)
 * under the tool call, and streams a `data-screenshot` part carrying the image, which the gateway
 * serves at GET /api/tasks/:id/screenshots/:name. A claim citing the tool call id cites the image.
 */
export async function recordScreenshot(
  call: ScreenshotCall,
  image: Uint8Array,
  action: string,
  mediaType: 'image/png' | 'image/jpeg' = 'image/png',
): Promise<RecordedScreenshot> {
  if (image.byteLength > MAX_SCREENSHOT_BYTES) {
    throw new ToolError(
      'too_large',
      `the screenshot is ${image.byteLength} bytes, over the ${MAX_SCREENSHOT_BYTES}-byte limit`,
    );
  }
  const extension = mediaType === 'image/png' ? 'png' : 'jpg';
  const safeId = call.toolCallId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80) || 'call';
  const name = `screenshot-${safeId}.${extension}`;
  const path = join(call.context.artifactsDir, name);
  await mkdir(call.context.artifactsDir, { recursive: true });
  await writeFile(path, image);
  const fact = { sha256: sha256(image), bytes: image.byteLength };
  const line = action.replace(/\s+/g, ' ').trim().slice(0, 300);
  call.context.recordEvidence({
    kind: 'file',
    toolCallId: call.toolCallId,
    path,
    ...fact,
    mediaType,
    action: line,
  });
  const part: ScreenshotPart = {
    name,
    path,
    mediaType,
    ...fact,
    toolCallId: call.toolCallId,
    action: line,
    base64: Buffer.from(image).toString('base64'),
  };
  call.context.writeData({ type: 'data-screenshot', id: name, data: part });
  call.context.writeData({
    type: 'data-artifact',
    id: name,
    data: { name, path, mediaType, ...fact },
  });
  return { name, path, mediaType, ...fact, evidenceId: call.toolCallId };
}
