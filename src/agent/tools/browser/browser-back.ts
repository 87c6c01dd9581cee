import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { type BrowserResult, browserCall, timeoutMs } from './browser-call.ts';

const InputSchema = z.object({});

export const browserBackTool = defineTool<typeof InputSchema, BrowserResult & { wentBack: boolean }>({
  name: 'browser_back',
  kind: 'network',
  summary: 'Go back to the previous page in the browser',
  description:
    "Go back one page in the task's browser history, like the Back button. Says when there was no previous page.",
  inputSchema: InputSchema,
  describe: () => 'go back in the browser',
  async execute(_input, run) {
    if (run.context.networkAccess === false) {
      const { ToolError } = await import('../tool-error.ts');
      throw new ToolError(
        'not_configured',
        'network access is off in this environment: the browser may not navigate',
      );
    }
    return browserCall(run, async (page) => {
      const response = await page.goBack({ timeout: timeoutMs(undefined), waitUntil: 'load' });
      return { wentBack: response !== null };
    });
  },
});
