import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { stopTmuxServer } from '../../../test/support/tmux.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { DaemonMessage } from '../../protocol/index.ts';
import { commandLine } from './input-commands.ts';
import { TerminalBridge } from './terminal-bridge.ts';
import { TerminalError } from './terminal-error.ts';
import { TmuxRunner } from './tmux-runner.ts';

// Hardening issue, item 8: input that fails half-way through a bracketed paste must not leave the
// pane's shell inside the paste, where every later keystroke (Enter too) would be pasted text.

/** Real tmux, except that typing the word FAIL is refused, as a tmux failure would be. */
class FailingRunner extends TmuxRunner {
  override run(args: string[], what?: string): Promise<string> {
    if (args[0] === 'send-keys' && args.some((arg) => arg.includes('FAIL')))
      return Promise.reject(new TerminalError('tmux_failed', 'send-keys: injected failure'));
    return super.run(args, what);
  }
}

describe('a paste that fails half-way, with real tmux and bash', () => {
  let dir: string;
  let runner: FailingRunner;
  let bridge: TerminalBridge;
  let sent: DaemonMessage[];
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', runner.socketPath, ...args], { encoding: 'utf8' }).trim();

  beforeEach(() => {
    dir = makeTempDir('paste');
    runner = new FailingRunner({
      socketPath: join(dir, 'tmux.sock'),
      env: { PATH: process.env.PATH, HOME: dir, SHELL: '/bin/bash', TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    });
    sent = [];
    bridge = new TerminalBridge({
      runner,
      send: (message) => sent.push(message),
      defaultCwd: dir,
      logger: pino({ level: 'silent' }),
    });
  });
  afterEach(async () => {
    bridge.detachAll();
    await stopTmuxServer(runner.socketPath);
    removeTempDir(dir);
  });

  it('closes the paste, so the next Enter runs what was pasted', async () => {
    bridge.handle({ type: 'terminal:create', requestId: 'c', session: 'p', cols: 80, rows: 24 });
    await waitFor(() => sent.some((message) => message.type === 'terminal:created'), {
      description: 'the session',
    });
    await waitFor(() => tmux('capture-pane', '-p', '-t', '=p:').length > 0, { description: 'a prompt' });

    // The quote splits the input into several send-keys commands: the paste is opened and
    // `echo 'pasted'` typed before the command carrying FAIL is refused; its end never goes.
    bridge.handle({
      type: 'terminal:input',
      requestId: 'paste',
      target: 'p',
      keys: "\x1b[200~echo 'pasted' FAIL\x1b[201~",
    });
    await waitFor(() => sent.some((message) => message.type === 'terminal:error'), {
      description: 'the error',
    });
    expect(sent.find((message) => message.type === 'terminal:error')).toMatchObject({
      requestId: 'paste',
      code: 'tmux_failed',
    });
    bridge.handle({ type: 'terminal:input', target: 'p', keys: '\r' });
    // Enter was a key, not pasted text: the shell ran what the paste had typed.
    await waitFor(() => tmux('capture-pane', '-p', '-t', '=p:').split('\n').includes('pasted'), {
      description: '"pasted" on its own line',
    });
  });
});

describe('control-mode command lines', () => {
  it('quote every word, so tmux takes %s, ~, $ and ; literally', () => {
    expect(commandLine(['send-keys', '-t', '%3', '-l', '--', '%s'])).toBe(
      "'send-keys' '-t' '%3' '-l' '--' '%s'",
    );
    expect(commandLine(['display-message', '-p', "it's ~ $HOME;"])).toBe(
      `'display-message' '-p' 'it'"'"'s ~ $HOME;'`,
    );
    expect(() => commandLine(['send-keys', 'a\nkill-server'])).toThrow(/newline/);
  });
});
