import { ToolError } from '../tool-error.ts';
import { type DesktopDisplay, runX } from './x-command.ts';

/** A top-level application window as desktop_windows lists it. */
export interface DesktopWindow {
  /** The X window id, `0x20000c`: what desktop_focus and desktop_screenshot take. */
  id: string;
  title: string;
  /** WM_CLASS: the program (`xterm`) and its class (`XTerm`). */
  program: string;
  className: string;
  /** Position on the screen and size, in pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export const MAX_LISTED_WINDOWS = 200;

// `     0x20000c "hello": ("xterm" "XTerm")  244x134+10+10  +10+10` (the last pair is absolute).
const TREE_LINE =
  /^\s*(0x[0-9a-f]+) "(.*)": \("([^"]*)" "([^"]*)"\)\s+(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$/;

/**
 * The visible application windows: those in `xwininfo -root -tree` with a title and a WM_CLASS
 * (what programs set on their top-level windows; a window manager's frames and a program's inner
 * windows have neither), kept when `xdotool search --onlyvisible` finds them mapped.
 */
export async function listWindows(desktop: DesktopDisplay, signal: AbortSignal): Promise<DesktopWindow[]> {
  const action = 'list windows';
  const [tree, visible] = await Promise.all([
    runX(desktop, 'xwininfo', ['-root', '-tree'], { signal, action }),
    runX(desktop, 'xdotool', ['search', '--onlyvisible', '--name', ''], { signal, action }).catch(
      (error: unknown) => {
        // xdotool search exits 1 when nothing matches: no visible window at all.
        if (ToolError.isInstance(error) && error.code === 'failed') return Buffer.alloc(0);
        throw error;
      },
    ),
  ]);
  const mapped = new Set(
    visible
      .toString('utf8')
      .split('\n')
      .filter((line) => /^\d+$/.test(line.trim()))
      .map((line) => Number(line.trim())),
  );
  const windows: DesktopWindow[] = [];
  for (const line of tree.toString('utf8').split('\n')) {
    const match = TREE_LINE.exec(line);
    if (!match || !mapped.has(Number.parseInt(match[1]!, 16))) continue;
    windows.push({
      id: match[1]!,
      title: match[2]!,
      program: match[3]!,
      className: match[4]!,
      width: Number(match[5]),
      height: Number(match[6]),
      x: Number(match[7]),
      y: Number(match[8]),
    });
  }
  return windows;
}

/** A window id as the model may write it (`0x20000c` or `2097164`), checked to exist. */
export async function existingWindow(
  desktop: DesktopDisplay,
  window: string,
  signal: AbortSignal,
  action: string,
): Promise<string> {
  const id = parseWindowId(window);
  try {
    await runX(desktop, 'xwininfo', ['-id', id], { signal, action });
  } catch (error) {
    if (ToolError.isInstance(error) && error.code === 'failed' && /no such window|bad/i.test(error.message)) {
      throw notFound(window, action);
    }
    if (ToolError.isInstance(error) && error.code === 'not_found') throw notFound(window, action);
    throw error;
  }
  return id;
}

export function parseWindowId(window: string): string {
  const text = window.trim();
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return text.toLowerCase();
  if (/^\d{1,10}$/.test(text)) return `0x${Number(text).toString(16)}`;
  throw new ToolError(
    'invalid_input',
    `"${window}" is not a window id: use an id desktop_windows lists, such as 0x20000c`,
  );
}

function notFound(window: string, action: string): ToolError {
  return new ToolError(
    'not_found',
    `${action}: no window ${window} exists on this desktop (it may have closed); list the open windows with desktop_windows`,
  );
}
