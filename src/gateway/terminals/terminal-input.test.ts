import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TerminalStack } from '../../../test/support/in-process/terminal-stack.ts';
import { waitFor } from '../../../test/support/wait.ts';

// Hardening issue, item 8: input reaches a watched pane whole whatever it contains, and a failure
// of input sent without a requestId (every keystroke from the board and `viber term attach`) still
// reaches the viewer.

describe('terminal input through the gateway, with real tmux', () => {
  let stack: TerminalStack;
  beforeEach(async () => {
    stack = await TerminalStack.start();
  });
  afterEach(async () => {
    await stack.cleanup();
  });

  it("prints x for a pasted printf '%s\\n' 'x' in a watched pane", async () => {
    const viewer = await stack.client();
    await viewer.request({
      type: 'terminal:create',
      viberId: stack.viberId,
      session: 'paste',
      cols: 80,
      rows: 24,
    });
    await waitFor(() => stack.tmux('capture-pane', '-p', '-t', '=paste:').length > 0, {
      description: 'a prompt',
    });
    // Watched: input now goes through the session's control client, whose commands tmux parses.
    viewer.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'paste' });
    await viewer.waitFor((message) => message.type === 'terminal:screen');

    // What xterm.js sends for a paste into bash (which asks for bracketed paste), then Enter:
    // two keystroke messages without a requestId.
    const input = (keys: string) =>
      viewer.send({ type: 'terminal:input', viberId: stack.viberId, target: 'paste', keys });
    input("\x1b[200~printf '%s\\n' 'x'; echo '%Y-%%'\x1b[201~");
    input('\r');
    // x and the echo each on a line of their own: in the pane (tmux's own capture) and at the viewer.
    const paneLines = () => stack.tmux('capture-pane', '-p', '-t', '=paste:').split('\n');
    await waitFor(() => paneLines().includes('x') && paneLines().includes('%Y-%%'), {
      description: 'the output in the pane',
    });
    await waitFor(() => /\rx\r\n%Y-%%\r\n/.test(viewer.output('paste')), {
      description: 'the output at the viewer',
    });
    expect(viewer.received.filter((message) => message.type === 'terminal:error')).toEqual([]);
  });

  it('tells the viewer when input sent without a requestId fails on the viber', async () => {
    const viewer = await stack.client();
    viewer.send({ type: 'terminal:input', viberId: stack.viberId, target: 'nowhere', keys: 'ls\r' });
    viewer.send({ type: 'terminal:resize', viberId: stack.viberId, target: 'nowhere', cols: 80, rows: 24 });
    const errors = () =>
      viewer.received.filter((message) => message.type === 'terminal:error' && message.target === 'nowhere');
    await waitFor(() => errors().length === 2, { description: 'an error for the keystrokes and the resize' });
    for (const error of errors()) {
      expect(error).toMatchObject({ viberId: stack.viberId, code: 'not_found' });
      // The gateway's own requestId stays on the gateway.
      expect(error).not.toHaveProperty('requestId');
    }
    // Success is not acknowledged to a viewer that did not ask.
    expect(viewer.received.some((message) => message.type === 'terminal:done')).toBe(false);
  });
});
