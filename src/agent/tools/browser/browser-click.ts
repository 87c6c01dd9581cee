import { z } from 'zod';
import { defineTool, inputText } from '../define-tool.ts';
import {
  BROWSER_MAX_TIMEOUT_SECONDS,
  type BrowserResult,
  browserCall,
  elementByRef,
  timeoutMs,
} from './browser-call.ts';

const InputSchema = z.object({
  ref: z
    .string()
    .regex(/^e\d+$/, 'ref must be a reference from browser_snapshot, such as e12')
    .describe('The element reference from browser_snapshot, e.g. e12'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(BROWSER_MAX_TIMEOUT_SECONDS)
    .optional()
    .describe('How long to wait for the element to be clickable (default 15)'),
});

export const browserClickTool = defineTool<typeof InputSchema, BrowserResult & { navigated: boolean }>({
  name: 'browser_click',
  kind: 'write',
  summary: 'Click an element of the browser page (may submit a form)',
  description: `Click an element by its reference from browser_snapshot. A click can submit a form or start an action on the site, so it counts as a write.
- If the click opens a new page, the result's url says where the browser is now; take a new snapshot to read it.`,
  inputSchema: InputSchema,
  describe: (input) => `click ${inputText(input, 'ref')} in the browser`,
  async execute(input, run) {
    return browserCall(run, async (page) => {
      const before = page.url();
      const element = await elementByRef(page, input.ref);
      await element.click({ timeout: timeoutMs(input.timeoutSeconds) });
      await page
        .waitForLoadState('load', { timeout: timeoutMs(input.timeoutSeconds) })
        .catch(() => undefined);
      return { navigated: page.url() !== before };
    });
  },
});
