/** What `display -p` reports alongside a capture, in this order. */
export const SCREEN_FORMAT = '#{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{cursor_flag}';

export interface PaneScreen {
  cols: number;
  rows: number;
  data: string;
}

/**
 * Turns `capture-pane -p -e` lines and the cursor into one string that repaints a terminal of the
 * pane's size: clear, the visible lines with their colours, then the cursor where tmux has it.
 */
export function buildScreen(lines: readonly string[], info: string): PaneScreen {
  const [cols, rows, cursorX, cursorY, cursorVisible] = info.trim().split(' ').map(Number) as number[];
  const visible = lines.slice(0, rows);
  const data =
    '\x1b[0m\x1b[H\x1b[2J' +
    visible.join('\x1b[0m\r\n') +
    `\x1b[0m\x1b[${(cursorY ?? 0) + 1};${(cursorX ?? 0) + 1}H` +
    (cursorVisible === 0 ? '\x1b[?25l' : '\x1b[?25h');
  return { cols: cols ?? 80, rows: rows ?? 24, data };
}
