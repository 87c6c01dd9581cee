import { describe, expect, it } from 'vitest';
import { tmuxFailure } from './terminal-error.ts';

describe("tmux's complaints as codes", () => {
  it('calls a pane gone whichever way tmux says it, including a server that is going away', () => {
    for (const text of [
      "can't find pane: %3",
      'no server running on /tmp/tmux.sock',
      'error connecting to /tmp/tmux.sock (No such file or directory)',
      'server exited unexpectedly',
      'lost server',
      'no sessions',
    ]) {
      expect(tmuxFailure('attach', text).code, text).toBe('not_found');
    }
    expect(tmuxFailure('new-session', 'duplicate session: a').code).toBe('bad_request');
    expect(tmuxFailure('resize', 'something else went wrong').code).toBe('tmux_failed');
  });
});
