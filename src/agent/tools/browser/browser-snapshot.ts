import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { type BrowserResult, browserCall } from './browser-call.ts';
import { formatElements, snapshotPage } from './page-snapshot.ts';

const InputSchema = z.object({});

export const browserSnapshotTool = defineTool<
  typeof InputSchema,
  BrowserResult & { text: string; elements: string; note?: string }
>({
  name: 'browser_snapshot',
  kind: 'read',
  summary: 'Read the browser page: its text and interactive elements with references',
  description: `Read the current browser page: its visible text, and its interactive elements (links, buttons, fields, selects), one per line with a reference such as [e12].
- Pass a reference to browser_click, browser_type or browser_select. An element keeps its reference while it stays on the page; after the page changes, take a new snapshot.`,
  inputSchema: InputSchema,
  describe: () => 'read the browser page',
  excerpt: (output) => `${output.url} "${output.title}"\n${output.text.slice(0, 400)}`,
  async execute(_input, run) {
    return browserCall(run, async (page, session) => {
      const snapshot = await snapshotPage(page, session.nextRef);
      session.nextRef = snapshot.nextRef;
      return {
        text: snapshot.text,
        elements: formatElements(snapshot.elements) || '(no interactive elements)',
        ...(snapshot.note ? { note: snapshot.note } : {}),
      };
    });
  },
});
