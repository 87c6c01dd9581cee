import { browserBackTool } from './browser-back.ts';
import { browserClickTool } from './browser-click.ts';
import { browserConsoleTool } from './browser-console.ts';
import { browserOpenTool } from './browser-open.ts';
import { browserPressTool } from './browser-press.ts';
import { browserScreenshotTool } from './browser-screenshot.ts';
import { browserSelectTool } from './browser-select.ts';
import { browserSnapshotTool } from './browser-snapshot.ts';
import { browserTypeTool } from './browser-type.ts';
import { browserWaitTool } from './browser-wait.ts';

export { closeTaskBrowser } from './browser-session.ts';
export { CHROMIUM_ARGS, CHROMIUM_ENV, chromiumStatus, closeChromium } from './chromium.ts';

/** The browser capability's tools, present only where a Chromium is usable. */
export const BROWSER_TOOLS = [
  browserOpenTool,
  browserSnapshotTool,
  browserClickTool,
  browserTypeTool,
  browserSelectTool,
  browserPressTool,
  browserWaitTool,
  browserBackTool,
  browserConsoleTool,
  browserScreenshotTool,
] as const;
