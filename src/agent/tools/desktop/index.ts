// The desktop tools (docs/desktop.md): X11 through xdotool, xwininfo and xwd; `viber start --desktop`.
import type { ToolSet } from 'ai';
import type { DefinedTool, ToolKind } from '../define-tool.ts';
import type { ToolContext } from '../tool-context.ts';
import { createDesktopTools } from './desktop-tools.ts';
import type { DesktopDisplay } from './x-command.ts';

export { type DesktopStatus, type OpenDesktop, openDesktop } from './desktop-session.ts';
export { startVncServer, VNC_SERVER_PACKAGE, type VncServer } from './vnc-server.ts';
export { DESKTOP_BINARIES, DESKTOP_PACKAGES, type DesktopDisplay } from './x-command.ts';
export { type DesktopWindow, listWindows } from './x-windows.ts';
export { startXvfb, type VirtualDisplay } from './xvfb.ts';

/** What each desktop tool is, for the autonomy policy: screenshots and the list read, the rest write. */
const CATALOG_TOOLS: readonly DefinedTool[] = createDesktopTools({ display: '', env: {} });

export const DESKTOP_TOOL_NAMES: readonly string[] = CATALOG_TOOLS.map((tool) => tool.name);

export const DESKTOP_TOOL_CATALOG: Record<string, { kind: ToolKind; summary: string }> = Object.fromEntries(
  CATALOG_TOOLS.map((tool) => [tool.name, { kind: tool.kind, summary: tool.summary }]),
);

/** The one-line summary of a desktop tool call, or undefined for another tool. */
export function describeDesktopCall(name: string, input: unknown): string | undefined {
  return CATALOG_TOOLS.find((tool) => tool.name === name)?.describe(input);
}

/** The desktop tools bound to a task's context and the display. */
export function createDesktopToolSet(context: ToolContext, desktop: DesktopDisplay): ToolSet {
  return Object.fromEntries(createDesktopTools(desktop).map((tool) => [tool.name, tool.create(context)]));
}
