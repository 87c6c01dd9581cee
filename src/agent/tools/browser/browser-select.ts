import { z } from 'zod';
import { defineTool, inputText } from '../define-tool.ts';
import { type BrowserResult, browserCall, elementByRef, timeoutMs } from './browser-call.ts';

const InputSchema = z.object({
  ref: z
    .string()
    .regex(/^e\d+$/, 'ref must be a reference from browser_snapshot, such as e12')
    .describe("The select's reference from browser_snapshot"),
  option: z.string().max(1_000).describe('The label (or value) of the option to choose'),
});

export const browserSelectTool = defineTool<typeof InputSchema, BrowserResult & { selected: string[] }>({
  name: 'browser_select',
  kind: 'read',
  summary: 'Choose an option of a select on the browser page',
  description:
    "Choose an option of a <select> by its reference from browser_snapshot, by the option's label or value. It does not submit the form.",
  inputSchema: InputSchema,
  describe: (input) => `select "${inputText(input, 'option')}" in ${inputText(input, 'ref')} in the browser`,
  async execute(input, run) {
    return browserCall(run, async (page) => {
      const element = await elementByRef(page, input.ref);
      let selected: string[];
      try {
        selected = await element.selectOption({ label: input.option }, { timeout: 2_000 });
      } catch {
        selected = await element.selectOption(input.option, { timeout: timeoutMs(undefined) });
      }
      return { selected };
    });
  },
});
