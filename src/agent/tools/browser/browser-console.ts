import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { browserSession, type ConsoleEntry } from './browser-session.ts';

const InputSchema = z.object({
  clear: z.boolean().optional().describe('Forget the entries returned (default false)'),
});

export const browserConsoleTool = defineTool<typeof InputSchema, { entries: ConsoleEntry[]; count: number }>({
  name: 'browser_console',
  kind: 'read',
  summary: "The browser page's console errors and warnings, and uncaught exceptions",
  description:
    "List the console errors and warnings and the uncaught exceptions of the task's browser pages so far (the last 200). Use it when a page misbehaves.",
  inputSchema: InputSchema,
  describe: () => 'read the browser console',
  async execute(input, run) {
    const session = browserSession(run.context);
    const entries = [...session.console];
    if (input.clear) session.console.length = 0;
    return { entries, count: entries.length };
  },
});
