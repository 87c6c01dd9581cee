import { z } from 'zod';
import { MAX_SCREENSHOT_BYTES, recordScreenshot } from '../../visual-evidence.ts';
import { defineTool } from '../define-tool.ts';
import { type BrowserResult, browserCall } from './browser-call.ts';

const InputSchema = z.object({
  fullPage: z.boolean().optional().describe('The whole page rather than the visible part (default false)'),
});

interface ScreenshotResult extends BrowserResult {
  path: string;
  sha256: string;
  bytes: number;
  mediaType: string;
}

export const browserScreenshotTool = defineTool<typeof InputSchema, ScreenshotResult>({
  name: 'browser_screenshot',
  kind: 'read',
  summary: 'Screenshot the browser page, saved as a task artifact and visual evidence',
  description: `Take a screenshot of the browser page. It is saved as a task artifact and recorded as visual evidence: cite this call's evidenceId in a report claim to show the image with the claim. The operator sees it; you get its path, not the image.`,
  inputSchema: InputSchema,
  describe: (input) =>
    input.fullPage === true ? 'screenshot the whole browser page' : 'screenshot the browser page',
  excerpt: (output) =>
    `screenshot of ${output.url}: ${output.path} (${output.bytes} bytes, sha256 ${output.sha256})`,
  async execute(input, run) {
    return browserCall(run, async (page) => {
      let image = await page.screenshot({ type: 'png', fullPage: input.fullPage === true, timeout: 30_000 });
      let mediaType: 'image/png' | 'image/jpeg' = 'image/png';
      if (image.byteLength > MAX_SCREENSHOT_BYTES) {
        image = await page.screenshot({ type: 'jpeg', quality: 60, fullPage: false, timeout: 30_000 });
        mediaType = 'image/jpeg';
      }
      const saved = await recordScreenshot(run, image, `browser_screenshot of ${page.url()}`, mediaType);
      return { path: saved.path, sha256: saved.sha256, bytes: saved.bytes, mediaType };
    });
  },
});
