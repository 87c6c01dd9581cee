import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { stopTmuxServer } from '../../../test/support/tmux.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { createToolSet } from '../../agent/tools/index.ts';
import { taskSessionName } from '../../agent/tools/run-in-tmux.ts';
import type { ShellResult } from '../../agent/tools/shell.ts';

/** The agent's shell tool on a daemon with tmux: commands run in the task's session, visibly. */
describe('shell tool in the task tmux session', () => {
  const t = useToolContext({ GREETING: 'hello from env', SHELL: '/bin/bash' });
  let socketPath: string;
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', socketPath, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  /** The pane's text, or '' before the session exists. */
  const screen = () => {
    try {
      return tmux('capture-pane', '-p', '-t', session());
    } catch {
      return '';
    }
  };
  const session = () => `=${taskSessionName(t.context.taskId)}:`;
  const shell = (input: Record<string, unknown>) =>
    callTool<ShellResult>(createToolSet(t.context), 'shell', input);

  beforeEach(async () => {
    socketPath = join(t.root, 'tmux.sock');
    t.context.terminalSocket = socketPath;
  });
  afterEach(async () => {
    t.controller.abort();
    await stopTmuxServer(socketPath);
  });

  it('types the command in the session, shows its output there, and returns the exact code and output', async () => {
    const result = await shell({
      command: 'echo "$GREETING"; echo to-stderr >&2; printf "no newline"; exit 7',
    });
    expect(result).toMatchObject({ exitCode: 7, timedOut: false, aborted: false });
    expect(result.output).toBe('hello from env\nto-stderr\nno newline');
    expect(result.note).toBeUndefined();
    expect(screen()).toContain('# echo "$GREETING"');
    expect(screen()).toContain('to-stderr');

    // The next command runs in the same session, in its own working directory.
    const second = await shell({ command: 'pwd; ls /nonexistent-dir' });
    expect(second.exitCode).toBe(2);
    expect(second.output).toContain(t.workspace);
    expect(tmux('list-sessions', '-F', '#{session_name}').trim()).toBe(taskSessionName(t.context.taskId));
  });

  it('kills the command and everything it started on timeout, and the pane gets its prompt back', async () => {
    const result = await shell({ command: 'sleep 60 & sleep 60', timeoutSeconds: 1 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
    await waitFor(
      () => tmux('display-message', '-p', '-t', session(), '#{pane_current_command}').trim() === 'bash',
    );
    const after = await shell({ command: 'echo still-works' });
    expect(after).toMatchObject({ exitCode: 0, output: 'still-works\n' });
  });

  it('stops with the task', async () => {
    const running = shell({ command: 'sleep 60' });
    await waitFor(() => screen().includes('sleep 60'));
    t.controller.abort();
    expect(await running).toMatchObject({ aborted: true, exitCode: null });
  });

  it('runs as a plain process when an operator is busy in the pane', async () => {
    await shell({ command: 'true' });
    tmux('send-keys', '-t', session(), 'sleep 30', 'Enter');
    await waitFor(
      () => tmux('display-message', '-p', '-t', session(), '#{pane_current_command}').trim() === 'sleep',
    );
    const result = await shell({ command: 'echo plain; exit 4' });
    expect(result).toMatchObject({ exitCode: 4, output: 'plain\n' });
    expect(screen()).not.toContain('echo plain');
  });
});
