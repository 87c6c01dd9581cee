import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { ToolError } from './tool-error.ts';

const SNIFF_BYTES = 8192;

/**
 * Whether a sample of bytes looks binary: a NUL byte, or bytes that are not valid UTF-8
 * (a multi-byte character cut at the end of the sample is forgiven).
 */
export function looksBinary(sample: Uint8Array): boolean {
  if (sample.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/** Reads the first bytes of a file to tell text from binary without loading it. */
export async function isBinaryFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return looksBinary(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Checks that `path` is a regular text file no larger than `maxBytes` and returns its size.
 * `shown` is the path as the model named it, for the messages.
 */
export async function assertTextFile(path: string, shown: string, maxBytes: number): Promise<number> {
  const info = await statOrThrow(path, shown);
  if (info.isDirectory()) {
    throw new ToolError(
      'not_a_file',
      `${shown} is a directory; use list_directory, glob or grep for directories`,
    );
  }
  if (!info.isFile()) throw new ToolError('not_a_file', `${shown} is not a regular file`);
  if (info.size > maxBytes) {
    throw new ToolError(
      'too_large',
      `${shown} is ${info.size} bytes, over the ${maxBytes}-byte limit of this tool`,
    );
  }
  if (await isBinaryFile(path)) {
    throw new ToolError(
      'binary_file',
      `${shown} is a binary file (${info.size} bytes); this tool only handles text. Inspect it with shell (e.g. \`file\`, \`xxd | head\`)`,
    );
  }
  return info.size;
}

export async function statOrThrow(path: string, shown: string) {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ToolError('not_found', `${shown} does not exist`);
    }
    throw error;
  }
}
