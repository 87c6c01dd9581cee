import type { ErrorCode } from '../protocol/index.ts';

/** An error with a stable code that every edge (REST, WebSocket, CLI) maps the same way. */
export class OpenViberError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, status = 400) {
    super(message);
    this.name = 'OpenViberError';
    this.code = code;
    this.status = status;
  }

  static isInstance(error: unknown): error is OpenViberError {
    return error instanceof Error && error.name === 'OpenViberError' && 'code' in error;
  }
}
