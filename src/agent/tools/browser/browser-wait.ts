import { z } from 'zod';
import { defineTool, inputText } from '../define-tool.ts';
import { ToolError } from '../tool-error.ts';
import { BROWSER_MAX_TIMEOUT_SECONDS, type BrowserResult, browserCall, timeoutMs } from './browser-call.ts';

const InputSchema = z
  .object({
    text: z.string().min(1).max(1_000).optional().describe('Wait until this text is visible on the page'),
    urlContains: z.string().min(1).max(2_000).optional().describe('Wait until the page URL contains this'),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(BROWSER_MAX_TIMEOUT_SECONDS)
      .optional()
      .describe('How long to wait at most (default 15)'),
  })
  .refine((input) => input.text !== undefined || input.urlContains !== undefined, 'give text or urlContains');

export const browserWaitTool = defineTool<typeof InputSchema, BrowserResult>({
  name: 'browser_wait',
  kind: 'read',
  summary: 'Wait for text to appear or the URL to change in the browser',
  description: `Wait, at most timeoutSeconds (default 15, max ${BROWSER_MAX_TIMEOUT_SECONDS}), until the page shows a text or its URL contains a string (after a click that loads something). Fails with a clear error when the time runs out.`,
  inputSchema: InputSchema,
  describe: (input) =>
    `wait for ${input.text ? `"${inputText(input, 'text')}"` : `url ~ ${inputText(input, 'urlContains')}`} in the browser`,
  async execute(input, run) {
    const timeout = timeoutMs(input.timeoutSeconds);
    return browserCall(run, async (page) => {
      try {
        if (input.urlContains) {
          const wanted = input.urlContains;
          await page.waitForURL((url) => url.href.includes(wanted), { timeout, waitUntil: 'load' });
        }
        if (input.text) await page.getByText(input.text).first().waitFor({ state: 'visible', timeout });
      } catch (error) {
        if (error instanceof Error && error.name === 'TimeoutError') {
          const what = input.text ? `the text "${input.text}"` : `a URL containing "${input.urlContains}"`;
          throw new ToolError(
            'failed',
            `${what} did not appear within ${timeout / 1000} s (the page is ${page.url()})`,
          );
        }
        throw error;
      }
      return {};
    });
  },
});
