import type { TerminalErrorCode } from '../../protocol/index.ts';

/** A terminal request that failed in a way the viewer should be told about, with a stable code. */
export class TerminalError extends Error {
  readonly code: TerminalErrorCode;

  constructor(code: TerminalErrorCode, message: string) {
    super(message);
    this.name = 'TerminalError';
    this.code = code;
  }

  static isInstance(error: unknown): error is TerminalError {
    return error instanceof Error && error.name === 'TerminalError' && 'code' in error;
  }
}

/** Maps what tmux printed on failure to a code a viewer can act on. */
export function tmuxFailure(what: string, text: string): TerminalError {
  const detail = text.trim().split('\n')[0]?.slice(0, 500) ?? '';
  // A server that is going away as the request arrives (killed, or its last session just ended)
  // answers with one of the last phrases: for a viewer the pane is gone all the same.
  if (
    /can't find|no such|not found|no current|no server running|error connecting|server exited|lost server|no sessions/i.test(
      detail,
    )
  ) {
    return new TerminalError('not_found', `${what}: ${detail}`);
  }
  if (/duplicate session/i.test(detail)) return new TerminalError('bad_request', `${what}: ${detail}`);
  return new TerminalError('tmux_failed', `${what}: ${detail || 'tmux failed'}`);
}
