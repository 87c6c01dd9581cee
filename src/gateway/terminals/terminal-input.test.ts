import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TerminalStack } from '../../../bench/terminal-stack.ts';
import type { TerminalServerMessage } from '../../protocol/index.ts';
import { waitUntil } from '../testing/wait-until.ts';
import type { TerminalClient } from './terminal-client.ts';

// Hardening issue, item 8: input reaches a watched pane whole whatever it contains, and a failure
// of input sent without a requestId (every keystroke from the board and `viber term attach`) still
// reaches the viewer.

type Output = Extract<TerminalServerMessage, { type: 'terminal:output' }>;
const outputText = (client: TerminalClient, target: string) =>
  client.received
    .filter((message): message is Output => message.type === 'terminal:output' && message.target === target)
    .map((message) => message.data)
    .join('');

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
    await waitUntil(() => stack.tmux('capture-pane', '-p', '-t', '=paste:').length > 0, { what: 'a prompt' });
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
    await waitUntil(() => paneLines().includes('x') && paneLines().includes('%Y-%%'), {
      what: 'the output in the pane',
    });
    await waitUntil(() => /\rx\r\n%Y-%%\r\n/.test(outputText(viewer, 'paste')), {
      what: 'the output at the viewer',
    });
    expect(viewer.received.filter((message) => message.type === 'terminal:error')).toEqual([]);
  });

  it('tells the viewer when input sent without a requestId fails on the viber', async () => {
    const viewer = await stack.client();
    viewer.send({ type: 'terminal:input', viberId: stack.viberId, target: 'nowhere', keys: 'ls\r' });
    viewer.send({ type: 'terminal:resize', viberId: stack.viberId, target: 'nowhere', cols: 80, rows: 24 });
    const errors = () =>
      viewer.received.filter((message) => message.type === 'terminal:error' && message.target === 'nowhere');
    await waitUntil(() => errors().length === 2, { what: 'an error for the keystrokes and the resize' });
    for (const error of errors()) {
      expect(error).toMatchObject({ viberId: stack.viberId, code: 'not_found' });
      // The gateway's own requestId stays on the gateway.
      expect(error).not.toHaveProperty('requestId');
    }
    // Success is not acknowledged to a viewer that did not ask.
    expect(viewer.received.some((message) => message.type === 'terminal:done')).toBe(false);
  });
});
