import { z } from 'zod';
import { defineTool, inputText } from '../define-tool.ts';
import { ToolError } from '../tool-error.ts';
import {
  BROWSER_MAX_TIMEOUT_SECONDS,
  type BrowserResult,
  browserCall,
  checkNavigable,
  timeoutMs,
} from './browser-call.ts';

const InputSchema = z.object({
  url: z.string().describe('The absolute http:// or https:// URL to open'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(BROWSER_MAX_TIMEOUT_SECONDS)
    .optional()
    .describe('How long to wait for the page to load (default 15)'),
});

export const browserOpenTool = defineTool<typeof InputSchema, BrowserResult & { status: number | null }>({
  name: 'browser_open',
  kind: 'network',
  summary: "Open a URL in the task's headless Chromium",
  description: `Open a URL in a real headless Chromium (JavaScript runs, forms work). The task keeps one browser page: the next browser_* calls act on it.
- After opening, call browser_snapshot to read the page and get element references (e1, e2, ...).
- Waits for the page's load event, up to timeoutSeconds. Only http:// and https:// URLs.`,
  inputSchema: InputSchema,
  describe: (input) => `open ${inputText(input, 'url')} in the browser`,
  excerpt: (output) => `${output.status ?? '-'} ${output.url} "${output.title}"`,
  async execute(input, run) {
    checkNavigable(input.url, run.context.networkAccess);
    return browserCall(run, async (page) => {
      const timeout = timeoutMs(input.timeoutSeconds);
      try {
        const response = await page.goto(input.url, { timeout, waitUntil: 'load' });
        const status = response?.status() ?? null;
        if (status !== null) run.recordUrl(page.url(), status);
        return { status };
      } catch (error) {
        if (error instanceof Error && error.name === 'TimeoutError')
          throw new ToolError(
            'http_error',
            `${input.url} did not finish loading within ${timeout / 1000} s (now at ${page.url()})`,
          );
        const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        if (/ERR_BLOCKED_BY_CLIENT/.test(reason))
          throw new ToolError(
            'not_configured',
            `opening ${input.url} was blocked: network access is off in this environment`,
          );
        if (/Download is starting/.test(reason)) return { status: null };
        throw new ToolError(
          'http_error',
          `opening ${input.url} failed: ${reason.replace(/^page\.goto: /, '')}`,
        );
      }
    });
  },
});
