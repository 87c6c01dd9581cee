/** Stable codes for what went wrong in a tool; the message says it to the model in plain words. */
export type ToolErrorCode =
  | 'invalid_input'
  | 'path_outside_roots'
  | 'not_found'
  | 'not_a_file'
  | 'not_a_directory'
  | 'binary_file'
  | 'too_large'
  | 'not_unique'
  | 'aborted'
  | 'not_configured'
  | 'http_error'
  | 'failed';

/** An expected tool failure: the wrapper returns its message to the model as `{ error }`. */
export class ToolError extends Error {
  readonly code: ToolErrorCode;

  constructor(code: ToolErrorCode, message: string) {
    super(message);
    this.name = 'ToolError';
    this.code = code;
  }

  static isInstance(error: unknown): error is ToolError {
    return error instanceof Error && error.name === 'ToolError' && 'code' in error;
  }
}

/** The message of anything thrown, for the model and the log (never a stack trace). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'unknown error';
}
