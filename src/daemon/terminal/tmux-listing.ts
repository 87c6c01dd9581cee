import type { TerminalSession } from '../../protocol/index.ts';
import { TerminalError } from './terminal-error.ts';
import type { TmuxRunner } from './tmux-runner.ts';

const FIELDS = [
  'session_name',
  'session_attached',
  'window_index',
  'window_name',
  'pane_index',
  'pane_id',
  'pane_width',
  'pane_height',
  'pane_current_command',
  'pane_active',
  'window_active',
] as const;
const FORMAT = FIELDS.map((field) => `#{${field}}`).join('\t');

/** Every session, window and pane of the daemon's tmux server; none when the server is not running. */
export async function listSessions(runner: TmuxRunner): Promise<TerminalSession[]> {
  let text: string;
  try {
    text = await runner.run(['list-panes', '-a', '-F', FORMAT], 'list terminals');
  } catch (error) {
    // No server yet simply means no sessions.
    if (TerminalError.isInstance(error) && error.code === 'not_found') return [];
    throw error;
  }
  return parsePaneList(text);
}

export function parsePaneList(text: string): TerminalSession[] {
  const sessions = new Map<string, TerminalSession>();
  for (const line of text.split('\n')) {
    const values = line.split('\t');
    if (values.length !== FIELDS.length) continue;
    const row = Object.fromEntries(FIELDS.map((field, index) => [field, values[index]!])) as Record<
      (typeof FIELDS)[number],
      string
    >;
    let session = sessions.get(row.session_name);
    if (!session) {
      session = { name: row.session_name, windows: [], attached: Number(row.session_attached) > 0 };
      sessions.set(row.session_name, session);
    }
    const index = Number(row.window_index);
    let window = session.windows.find((candidate) => candidate.index === index);
    if (!window) {
      window = { index, name: row.window_name, panes: [] };
      session.windows.push(window);
    }
    window.panes.push({
      id: row.pane_id,
      target: `${row.session_name}:${index}.${row.pane_index}`,
      width: Number(row.pane_width),
      height: Number(row.pane_height),
      ...(row.pane_current_command ? { command: row.pane_current_command } : {}),
      active: row.pane_active === '1' && row.window_active === '1',
    });
  }
  return [...sessions.values()];
}
