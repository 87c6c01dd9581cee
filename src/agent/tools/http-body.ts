import { errorMessage } from './tool-error.ts';

export interface LimitedBody {
  bytes: Buffer;
  /** The body was longer than the limit and was cut there. */
  cut: boolean;
}

/** Reads a response body up to `maxBytes`, then cancels the rest (a huge download never fills memory). */
export async function readBodyLimited(response: Response, maxBytes: number): Promise<LimitedBody> {
  if (!response.body) return { bytes: Buffer.alloc(0), cut: false };
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), cut: false };
    const room = maxBytes - total;
    if (value.byteLength > room) {
      chunks.push(Buffer.from(value.subarray(0, room)));
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks), cut: true };
    }
    chunks.push(Buffer.from(value));
    total += value.byteLength;
  }
}

/** Decodes text in the charset the Content-Type names, falling back to UTF-8. */
export function decodeBody(bytes: Uint8Array, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** fetch() reports network failures as "fetch failed"; the cause says what actually happened. */
export function fetchFailure(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause ? `${errorMessage(error)} (${errorMessage(cause)})` : errorMessage(error);
}

export function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
