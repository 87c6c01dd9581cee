import { z } from 'zod';
import { defineTool, inputText } from '../define-tool.ts';
import { type BrowserResult, browserCall, elementByRef, timeoutMs } from './browser-call.ts';

const InputSchema = z.object({
  key: z.string().min(1).max(50).describe('A key or chord: Enter, Tab, Escape, ArrowDown, Control+A, ...'),
  ref: z
    .string()
    .regex(/^e\d+$/, 'ref must be a reference from browser_snapshot, such as e12')
    .optional()
    .describe('The element to focus first (default: whatever has focus)'),
});

export const browserPressTool = defineTool<typeof InputSchema, BrowserResult & { navigated: boolean }>({
  name: 'browser_press',
  kind: 'write',
  summary: 'Press a key in the browser (Enter may submit a form)',
  description:
    'Press a key or chord (Enter, Tab, Escape, ArrowDown, Control+A) in the browser, on an element by reference or on whatever has focus. Enter in a form field submits it, so a key press counts as a write.',
  inputSchema: InputSchema,
  describe: (input) =>
    `press ${inputText(input, 'key')}${input.ref ? ` on ${inputText(input, 'ref')}` : ''} in the browser`,
  async execute(input, run) {
    return browserCall(run, async (page) => {
      const before = page.url();
      if (input.ref)
        await (await elementByRef(page, input.ref)).press(input.key, { timeout: timeoutMs(undefined) });
      else await page.keyboard.press(input.key);
      await page.waitForLoadState('load', { timeout: timeoutMs(undefined) }).catch(() => undefined);
      return { navigated: page.url() !== before };
    });
  },
});
