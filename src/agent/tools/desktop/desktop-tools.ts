import { z } from 'zod';
import { MAX_SCREENSHOT_BYTES, recordScreenshot } from '../../visual-evidence.ts';
import { type DefinedTool, defineTool, inputText, type ToolRun } from '../define-tool.ts';
import { ToolError } from '../tool-error.ts';
import { type DesktopDisplay, runX } from './x-command.ts';
import { type DesktopWindow, existingWindow, listWindows, MAX_LISTED_WINDOWS } from './x-windows.ts';
import { decodeXwd, encodePng, halve } from './xwd-to-png.ts';

/** The desktop tools (docs/desktop.md), bound to one X display; only under `viber start --desktop`. */

const WindowIdSchema = z
  .string()
  .min(1)
  .max(20)
  .describe('A window id from desktop_windows, e.g. "0x20000c"');
const CoordinateSchema = z.number().int().min(0).max(32_767);
// One combination (`ctrl+s`) or several separated by spaces (`ctrl+a BackSpace`): X keysym names.
const KEYS = /^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*( [A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*)*$/;

const ScreenshotInput = z.object({
  window: WindowIdSchema.optional().describe('Only this window (default: the whole screen)'),
});
const MoveInput = z.object({ x: CoordinateSchema, y: CoordinateSchema });
const ClickInput = z.object({
  x: CoordinateSchema.optional().describe('Move here first (with y); default: where the pointer is'),
  y: CoordinateSchema.optional(),
  button: z.enum(['left', 'middle', 'right']).default('left'),
  count: z.number().int().min(1).max(3).default(1).describe('2 for a double click'),
});
const TypeInput = z.object({
  text: z.string().min(1).max(5_000).describe('The text to type, as keystrokes, into the focused window'),
});
const KeyInput = z.object({
  keys: z
    .string()
    .min(1)
    .max(200)
    .regex(KEYS, 'keys must be X key names joined by "+" (ctrl+s), several separated by spaces')
    .describe('e.g. "Return", "ctrl+s", "ctrl+shift+t", "alt+F4", "ctrl+a BackSpace"'),
});
const FocusInput = z.object({ window: WindowIdSchema });

const BUTTONS = { left: '1', middle: '2', right: '3' } as const;

function x(desktop: DesktopDisplay, run: ToolRun, action: string, args: string[]) {
  return runX(desktop, 'xdotool', args, { signal: run.signal, action });
}

async function pointer(desktop: DesktopDisplay, run: ToolRun): Promise<{ x: number; y: number }> {
  const text = (
    await x(desktop, run, 'read the pointer position', ['getmouselocation', '--shell'])
  ).toString();
  return { x: Number(/X=(\d+)/.exec(text)?.[1] ?? 0), y: Number(/Y=(\d+)/.exec(text)?.[1] ?? 0) };
}

/** The seven tools, bound to `desktop`. */
export function createDesktopTools(desktop: DesktopDisplay): readonly DefinedTool[] {
  const screenshot = defineTool<typeof ScreenshotInput, Record<string, unknown>>({
    name: 'desktop_screenshot',
    kind: 'read',
    summary: 'Screenshot the X desktop or one window as a PNG artifact (visual evidence)',
    description: `Take a screenshot of the desktop (or of one window) as a PNG. It is saved with the task as an artifact and as evidence: cite this tool call in the report to rely on what the image shows.
- Returns the image's size and artifact path; it does not describe the image.`,
    inputSchema: ScreenshotInput,
    describe: (input) => `screenshot ${inputText(input, 'window', 'the desktop')}`,
    async execute(input, run) {
      const action = input.window ? `screenshot window ${input.window}` : 'screenshot the desktop';
      const target = input.window
        ? ['-nobdrs', '-id', await existingWindow(desktop, input.window, run.signal, action)]
        : ['-root'];
      const dump = await runX(desktop, 'xwd', ['-silent', ...target], { signal: run.signal, action });
      let image = decodeXwd(dump);
      const full = { width: image.width, height: image.height };
      let png = encodePng(image);
      // Halved until the image fits what a task stream carries.
      while (png.byteLength > MAX_SCREENSHOT_BYTES && image.width > 64) {
        image = halve(image);
        png = encodePng(image);
      }
      const saved = await recordScreenshot({ context: run.context, toolCallId: run.toolCallId }, png, action);
      const scaled = image.width !== full.width;
      return {
        path: saved.path,
        name: saved.name,
        width: image.width,
        height: image.height,
        bytes: saved.bytes,
        sha256: saved.sha256,
        evidenceId: saved.evidenceId,
        ...(input.window ? { window: input.window } : {}),
        ...(scaled ? { note: `scaled down from ${full.width}x${full.height} to fit the size limit` } : {}),
      };
    },
  });

  const move = defineTool<typeof MoveInput, { x: number; y: number }>({
    name: 'desktop_move',
    kind: 'write',
    summary: 'Move the mouse pointer to x,y on the X desktop',
    description: 'Move the mouse pointer to screen coordinates x, y (pixels from the top left).',
    inputSchema: MoveInput,
    describe: (input) => `move the mouse to ${inputText(input, 'x', '?')},${inputText(input, 'y', '?')}`,
    async execute(input, run) {
      await x(desktop, run, `move the mouse to ${input.x},${input.y}`, [
        'mousemove',
        '--sync',
        String(input.x),
        String(input.y),
      ]);
      return pointer(desktop, run);
    },
  });

  const click = defineTool<typeof ClickInput, { x: number; y: number; button: string; count: number }>({
    name: 'desktop_click',
    kind: 'write',
    summary: 'Click a mouse button on the X desktop (at x,y or where the pointer is)',
    description:
      'Click a mouse button, at x, y when given (both), else where the pointer is. count 2 double-clicks.',
    inputSchema: ClickInput,
    describe: (input) =>
      `${inputText(input, 'button', 'left')} click at ${inputText(input, 'x', 'the pointer')}${input.y === undefined ? '' : `,${inputText(input, 'y')}`}`,
    async execute(input, run) {
      if ((input.x === undefined) !== (input.y === undefined)) {
        throw new ToolError('invalid_input', 'give both x and y, or neither to click where the pointer is');
      }
      const moveFirst =
        input.x !== undefined && input.y !== undefined
          ? ['mousemove', '--sync', String(input.x), String(input.y)]
          : [];
      await x(desktop, run, `${input.button} click`, [
        ...moveFirst,
        'click',
        '--repeat',
        String(input.count),
        BUTTONS[input.button],
      ]);
      return { ...(await pointer(desktop, run)), button: input.button, count: input.count };
    },
  });

  const type = defineTool<typeof TypeInput, { typed: number }>({
    name: 'desktop_type',
    kind: 'write',
    summary: 'Type text into the focused X window',
    description:
      'Type text as keystrokes into the window that has the keyboard focus (desktop_focus chooses it). Use desktop_key for Return, Tab and shortcuts.',
    inputSchema: TypeInput,
    describe: (input) => `type "${inputText(input, 'text')}"`,
    async execute(input, run) {
      await x(desktop, run, 'type text', ['type', '--delay', '8', '--', input.text]);
      return { typed: input.text.length };
    },
  });

  const key = defineTool<typeof KeyInput, { pressed: string }>({
    name: 'desktop_key',
    kind: 'write',
    summary: 'Press keys or combinations (ctrl+s) in the focused X window',
    description:
      'Press a key or a combination in the focused window: X key names joined by "+" ("ctrl+s", "alt+F4", "Return", "Escape"); several separated by spaces are pressed in turn.',
    inputSchema: KeyInput,
    describe: (input) => `press ${inputText(input, 'keys')}`,
    async execute(input, run) {
      await x(desktop, run, `press ${input.keys}`, ['key', '--', ...input.keys.split(' ')]);
      return { pressed: input.keys };
    },
  });

  const windows = defineTool<z.ZodObject, { windows: DesktopWindow[]; count: number; truncated: boolean }>({
    name: 'desktop_windows',
    kind: 'read',
    summary: 'List the visible application windows on the X desktop',
    description:
      'List the visible application windows: id, title, program, position and size. Ids are what desktop_focus and desktop_screenshot take.',
    inputSchema: z.object({}),
    describe: () => 'list the desktop windows',
    async execute(_input, run) {
      const all = await listWindows(desktop, run.signal);
      return {
        windows: all.slice(0, MAX_LISTED_WINDOWS),
        count: all.length,
        truncated: all.length > MAX_LISTED_WINDOWS,
      };
    },
  });

  const focus = defineTool<typeof FocusInput, { window: string; focused: boolean }>({
    name: 'desktop_focus',
    kind: 'write',
    summary: 'Raise an X window and give it the keyboard focus',
    description:
      'Raise a window (an id from desktop_windows) and give it the keyboard focus, so desktop_type and desktop_key reach it.',
    inputSchema: FocusInput,
    describe: (input) => `focus window ${inputText(input, 'window')}`,
    async execute(input, run) {
      const action = `focus window ${input.window}`;
      const id = await existingWindow(desktop, input.window, run.signal, action);
      await x(desktop, run, action, ['windowraise', id]);
      await x(desktop, run, action, ['windowfocus', '--sync', id]);
      const now = Number((await x(desktop, run, action, ['getwindowfocus', '-f'])).toString().trim());
      return { window: id, focused: now === Number.parseInt(id, 16) };
    },
  });

  return [screenshot, move, click, type, key, windows, focus];
}
