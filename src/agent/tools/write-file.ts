import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { resolveSafePath } from './path-guard.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Write a text file, replacing it if it exists; missing parent directories are created.
- path is relative to the task's working directory (or absolute, inside the workspace).
- content is the complete new file. To change part of an existing file, prefer edit_file.
- The result gives the byte count and SHA-256 of what was written.`;

export const WriteFileInputSchema = z.object({
  path: z.string().min(1, 'path must not be empty').describe('File to write'),
  content: z.string().describe('The complete file content'),
});
export type WriteFileInput = z.infer<typeof WriteFileInputSchema>;

export interface WriteFileResult {
  path: string;
  created: boolean;
  bytes: number;
  sha256: string;
}

export const writeFileTool = defineTool<typeof WriteFileInputSchema, WriteFileResult>({
  name: 'write_file',
  kind: 'write',
  summary: 'Create or overwrite a text file (parents created)',
  description: DESCRIPTION,
  inputSchema: WriteFileInputSchema,
  describe: (input) => {
    const content = input.content;
    const size = typeof content === 'string' ? ` (${Buffer.byteLength(content)} bytes)` : '';
    return `write ${inputText(input, 'path')}${size}`;
  },
  async execute(input, run) {
    const bytes = Buffer.byteLength(input.content);
    if (bytes > TOOL_LIMITS.maxWriteBytes) {
      throw new ToolError(
        'too_large',
        `content is ${bytes} bytes, over the ${TOOL_LIMITS.maxWriteBytes}-byte limit`,
      );
    }
    const { real } = await resolveSafePath(run.context, input.path);
    const existing = await stat(real).catch(() => undefined);
    if (existing?.isDirectory()) throw new ToolError('not_a_file', `${input.path} is a directory`);
    // A FIFO or device would block the write (or do worse); only regular files are replaced.
    if (existing && !existing.isFile())
      throw new ToolError('not_a_file', `${input.path} is not a regular file`);
    await mkdir(dirname(real), { recursive: true });
    await writeFile(real, input.content, { signal: run.signal });
    const fact = run.recordFile(real, input.content);
    return { path: real, created: existing === undefined, ...fact };
  },
});
