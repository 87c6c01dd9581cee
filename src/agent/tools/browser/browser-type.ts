import { z } from 'zod';
import { defineTool, inputText } from '../define-tool.ts';
import { type BrowserResult, browserCall, elementByRef, timeoutMs } from './browser-call.ts';

const InputSchema = z.object({
  ref: z
    .string()
    .regex(/^e\d+$/, 'ref must be a reference from browser_snapshot, such as e12')
    .describe("The field's reference from browser_snapshot"),
  text: z.string().max(10_000).describe('The text to put in the field (replaces what it holds)'),
});

export const browserTypeTool = defineTool<typeof InputSchema, BrowserResult & { value: string }>({
  name: 'browser_type',
  kind: 'read',
  summary: 'Fill a text field of the browser page (does not submit)',
  description: `Fill a text field (input, textarea, editable element) by its reference from browser_snapshot, replacing its content. It never submits: click the form's button or browser_press Enter for that.`,
  inputSchema: InputSchema,
  describe: (input) => `type into ${inputText(input, 'ref')} in the browser`,
  async execute(input, run) {
    return browserCall(run, async (page) => {
      const element = await elementByRef(page, input.ref);
      await element.fill(input.text, { timeout: timeoutMs(undefined) });
      const value = await element.inputValue({ timeout: timeoutMs(undefined) }).catch(() => input.text);
      return { value };
    });
  },
});
