/**
 * Why a platform refused a send, as the delivery worker needs it: retry (later, or after the
 * platform's own `retryAfterMs`: Telegram's `retry_after`, an HTTP Retry-After) or give up (a bad
 * token, a chat the bot cannot write to). The message names the platform's answer, never a secret.
 */
export class ChannelSendError extends Error {
  readonly code = 'channel_send_failed';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number | undefined }) {
    super(message);
    this.name = 'ChannelSendError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  static isInstance(error: unknown): error is ChannelSendError {
    return error instanceof ChannelSendError;
  }

  /** From an HTTP status: 429 and 5xx (and no answer at all) are worth retrying; other 4xx are not. */
  static fromStatus(what: string, status: number, detail: string, retryAfterMs?: number): ChannelSendError {
    const retryable = status === 429 || status >= 500 || status === 408;
    return new ChannelSendError(`${what}: ${status} ${detail}`.trim(), { retryable, retryAfterMs });
  }

  /** The platform could not be reached (refused, reset, timed out): always retryable. */
  static unreachable(what: string, error: unknown): ChannelSendError {
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    return new ChannelSendError(`${what}: unreachable (${reason})`, { retryable: true });
  }
}
